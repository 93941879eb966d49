/**
 * Type tests of what a bridge reports: event names and payloads (names and storage keys, never a value), and the
 * `BridgeError` code union. Checked by tsc (vitest typecheck), never executed.
 */
import {
  BridgeError,
  isBridgeError,
  type BridgeEventName,
  type BridgeEvents,
  type CoreErrorCode,
  type CredentialBridge,
  type CredentialKind,
  type RefreshReason,
} from '@open-bridge/core'
import { describe, expectTypeOf, test } from 'vitest'

declare const bridge: CredentialBridge
declare const caught: unknown

describe('events', () => {
  test('the event names', () => {
    expectTypeOf<BridgeEventName>().toEqualTypeOf<
      | 'tier-error'
      | 'tier-skipped'
      | 'fetch'
      | 'fetch-error'
      | 'wait'
      | 'lock-contention'
      | 'refresh-ahead'
      | 'backoff'
      | 'lease-lost'
      | 'breaker-open'
      | 'breaker-close'
      | 'seal-open-failed'
    >()
  })

  test('lease-lost names the key and what the callers were served, never a value', () => {
    bridge.on('lease-lost', (e) => {
      expectTypeOf(e).toEqualTypeOf<{
        kind: CredentialKind
        storageKey: string
        tier: string
        reason: RefreshReason
        served: 'stored' | 'own'
      }>()
    })
  })

  test('on(event, listener) types the payload and returns the unsubscriber', () => {
    const off = bridge.on('fetch', (e) => {
      expectTypeOf(e.kind).toEqualTypeOf<CredentialKind>()
      expectTypeOf(e.storageKey).toEqualTypeOf<string>()
      expectTypeOf(e.by).toEqualTypeOf<'fallback' | 'source'>()
      expectTypeOf(e.reason).toEqualTypeOf<RefreshReason>()
      expectTypeOf(e.durationMs).toEqualTypeOf<number>()
    })
    expectTypeOf(off).toEqualTypeOf<() => void>()
    bridge.on('refresh-ahead', (e) => expectTypeOf(e.remainingMs).toEqualTypeOf<number>())
    bridge.on('wait', (e) => expectTypeOf(e.outcome).toEqualTypeOf<'value' | 'timeout' | 'took-lock' | 'failure'>())
    bridge.on('tier-error', (e) => {
      expectTypeOf(e.operation).toEqualTypeOf<'get' | 'set' | 'delete' | 'close' | 'lock'>()
      expectTypeOf(e.storageKey).toEqualTypeOf<string | undefined>()
      expectTypeOf(e.error).toEqualTypeOf<unknown>()
    })
    bridge.on('backoff', (e) => expectTypeOf(e.cause).toEqualTypeOf<'error' | 'no-fresher'>())
    bridge.on('breaker-open', (e) => expectTypeOf(e).toEqualTypeOf<{ tier: string }>())
  })

  test('a listener may be async', () => {
    bridge.on('fetch-error', async (e) => {
      expectTypeOf(e).toEqualTypeOf<BridgeEvents['fetch-error']>()
      expectTypeOf(e.error).toEqualTypeOf<unknown>()
    })
  })

  test('payloads carry no credential value', () => {
    bridge.on('fetch', (e) => {
      // @ts-expect-error a fetch event carries no value
      void e.value
    })
    bridge.on('refresh-ahead', (e) => {
      // @ts-expect-error nor does refresh-ahead
      void e.record
    })
  })

  test('an unknown event name does not compile', () => {
    // @ts-expect-error there is no 'refresh' event (see 'fetch' and 'refresh-ahead')
    bridge.on('refresh', () => {})
    // @ts-expect-error nor an 'error' event
    bridge.off('error', () => {})
  })

  test('a listener for another event does not compile', () => {
    const onBreaker = (_e: BridgeEvents['breaker-open']): void => {}
    const onFetch = (_e: BridgeEvents['fetch']): void => {}
    bridge.on('breaker-close', onBreaker)
    // @ts-expect-error a fetch listener reads fields a breaker event lacks
    bridge.on('breaker-open', onFetch)
  })
})

describe('BridgeError', () => {
  test('code is the union of core codes', () => {
    const error = new BridgeError('E_INVALID_KEY', 'key.openid must be a non-empty string', { field: 'key.openid' })
    expectTypeOf(error.code).toEqualTypeOf<'E_INVALID_KEY'>()
    expectTypeOf<BridgeError['code']>().toEqualTypeOf<CoreErrorCode>()
    expectTypeOf(error.field).toEqualTypeOf<string | undefined>()
    expectTypeOf(error).toExtend<Error>()
    expectTypeOf(error.toJSON()).toEqualTypeOf<{
      name: string
      code: 'E_INVALID_KEY'
      message: string
      field?: string
    }>()
  })

  test('comparing the code with one core never throws is flagged', () => {
    const error = {} as BridgeError
    // @ts-expect-error 'E_NOPE' is not a CoreErrorCode: the comparison can never be true
    void (error.code === 'E_NOPE')
    void (error.code === 'E_CLOSED')
  })

  test('the error options name the field and the cause, nothing else', () => {
    // @ts-expect-error no such option
    void new BridgeError('E_CLOSED', 'closed', { value: 'secret' })
  })

  test('isBridgeError and instanceof narrow: to the given code, else to string (never any)', () => {
    // Both catch the errors of every open-bridge package, so the code is any package's: a string, never any.
    if (isBridgeError(caught)) expectTypeOf(caught.code).toEqualTypeOf<string>()
    if (isBridgeError(caught, 'E_FETCH_TIMEOUT')) expectTypeOf(caught.code).toEqualTypeOf<'E_FETCH_TIMEOUT'>()
    if (caught instanceof BridgeError) expectTypeOf(caught.code).toEqualTypeOf<string>()
  })
})
