/**
 * Type tests of encryption at rest: the bridge option (a key list or a provider), the keyring, the sealed wrapper,
 * the envelope and the open error. Checked by tsc (vitest typecheck), never executed.
 */
import {
  createBridge,
  createKeyring,
  envelopeKeyId,
  memoryStore,
  sealedStore,
  type SealOpenError,
  type BridgeEvents,
  type CredentialStore,
  type EncryptionKey,
  type EncryptionOptions,
  type Keyring,
  type SealedEnvelope,
  type SealOpenReason,
} from '@open-bridge/core'
import { describe, expectTypeOf, test } from 'vitest'

describe('encryption', () => {
  test('keys are a list of { id, key } (base64 text or bytes) or a function resolving one', () => {
    const list: EncryptionKey[] = [
      { id: 'a', key: 'base64…' },
      { id: 'b', key: new Uint8Array(32) },
    ]
    createBridge({ stores: [memoryStore()], encryption: { keys: list, acceptPlain: true } })
    createBridge({ stores: [memoryStore()], encryption: { keys: async () => list, reloadInterval: 1000 } })
    // @ts-expect-error a key is text or bytes, not a number
    createBridge({ stores: [memoryStore()], encryption: { keys: [{ id: 'a', key: 42 }] } })
    // @ts-expect-error keys are required
    createBridge({ stores: [memoryStore()], encryption: { acceptPlain: true } })
    expectTypeOf<EncryptionOptions['acceptPlain']>().toEqualTypeOf<boolean | undefined>()
  })

  test('sealedStore wraps a store with a keyring and is a store', () => {
    const keyring: Keyring = createKeyring([{ id: 'a', key: 'x' }])
    const store = sealedStore(memoryStore(), {
      keyring,
      onOpenFailed: (error) => expectTypeOf(error).toEqualTypeOf<SealOpenError>(),
    })
    expectTypeOf(store).toEqualTypeOf<CredentialStore>()
    expectTypeOf(envelopeKeyId).returns.toEqualTypeOf<string | undefined>()
    expectTypeOf<SealedEnvelope['ob']>().toEqualTypeOf<1>()
  })

  test('the open error and event name the key id and reason, never a value', () => {
    expectTypeOf<SealOpenError['keyId']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<SealOpenError['code']>().toEqualTypeOf<'E_SEAL_OPEN_FAILED'>()
    expectTypeOf<SealOpenReason>().toEqualTypeOf<'unknown-key' | 'authentication' | 'malformed' | 'plain'>()
    expectTypeOf<BridgeEvents['seal-open-failed']>().toEqualTypeOf<{
      tier: string
      storageKey: string
      keyId: string | undefined
      reason: SealOpenReason
      surfaced: boolean
    }>()
  })
})
