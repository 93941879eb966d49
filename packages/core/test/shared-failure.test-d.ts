/** Type tests of deployment-wide failure memory: the option and the error callers get. Checked by tsc, never run. */
import {
  createBridge,
  isSharedFailureError,
  memoryStore,
  type SharedFailureError,
  type BridgeError,
  type CoreErrorCode,
} from '@open-bridge/core'
import { describe, expectTypeOf, test } from 'vitest'

declare const caught: unknown

describe('failureBackoff.shared', () => {
  test('a boolean, optional', () => {
    createBridge({ stores: [memoryStore()], failureBackoff: { shared: false } })
    createBridge({ stores: [memoryStore()], failureBackoff: {} })
    // @ts-expect-error a boolean, not a string
    createBridge({ stores: [memoryStore()], failureBackoff: { shared: 'no' } })
  })
})

describe('SharedFailureError', () => {
  test('narrowed by its guard: the original code (any package’s), errcode and category when known, retryAt', () => {
    if (isSharedFailureError(caught)) {
      expectTypeOf(caught).toEqualTypeOf<SharedFailureError>()
      expectTypeOf(caught.code).toEqualTypeOf<string>()
      expectTypeOf(caught.errcode).toEqualTypeOf<number | undefined>()
      expectTypeOf(caught.category).toEqualTypeOf<string | undefined>()
      expectTypeOf(caught.retryAt).toEqualTypeOf<number>()
      expectTypeOf(caught).toMatchTypeOf<BridgeError<string>>()
    }
  })

  test('E_FETCH_FAILED is a core code', () => {
    expectTypeOf<'E_FETCH_FAILED'>().toMatchTypeOf<CoreErrorCode>()
  })
})
