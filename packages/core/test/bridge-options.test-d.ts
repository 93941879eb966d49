/**
 * Type tests of what a bridge is built from: `createBridge` options, a hand-written store and source, the memory
 * tier's options. Checked by tsc (vitest typecheck), never executed.
 */
import {
  createBridge,
  memoryStore,
  type BridgeOptions,
  type CredentialBridge,
  type CredentialKind,
  type CredentialSource,
  type CredentialStore,
  type FetchResult,
  type ResolvedKey,
  type SourceContext,
  type StoredRecord,
  type StoreLock,
  type TicketValue,
} from '@open-bridge/core'
import { describe, expectTypeOf, test } from 'vitest'

const records = new Map<string, StoredRecord>()

/** A store written by hand, as an adapter author would. */
const handWritten = {
  name: 'map',
  async get(key: string) {
    return records.get(key)
  },
  async set(key: string, record: StoredRecord) {
    records.set(key, record)
  },
  async delete(key: string) {
    records.delete(key)
  },
  async close() {},
} satisfies CredentialStore

describe('CredentialStore', () => {
  test('a hand-written store satisfies it and is accepted as a tier', () => {
    expectTypeOf(handWritten).toExtend<CredentialStore>()
    expectTypeOf(createBridge).toBeCallableWith({ stores: [handWritten] })
  })

  test('a store whose get resolves something else than a StoredRecord does not', () => {
    const wrongGet = {
      ...handWritten,
      async get(key: string) {
        return key
      },
    }
    expectTypeOf(wrongGet).not.toExtend<CredentialStore>()
    // @ts-expect-error get must resolve a StoredRecord or undefined
    createBridge({ stores: [wrongGet] })
  })

  test('a store missing close, or with a sync set, does not', () => {
    const { close: _close, ...noClose } = handWritten
    expectTypeOf(noClose).not.toExtend<CredentialStore>()
    const syncSet = { ...handWritten, set: (_key: string, _record: StoredRecord): void => {} }
    expectTypeOf(syncSet).not.toExtend<CredentialStore>()
  })

  test('a record carries the value and an absolute expiry (ms) or null', () => {
    expectTypeOf<StoredRecord['expiresAt']>().toEqualTypeOf<number | null>()
    // @ts-expect-error expiresAt is a number or null, never undefined
    const _record: StoredRecord = { value: { access_token: 'a' }, expiresAt: undefined }
  })

  test('the optional lock capability and sync read', () => {
    expectTypeOf<CredentialStore['lock']>().toEqualTypeOf<StoreLock | undefined>()
    expectTypeOf<StoreLock['acquire']>().toEqualTypeOf<
      (name: string, token: string, ttlMs: number) => Promise<boolean>
    >()
    expectTypeOf<NonNullable<CredentialStore['getSync']>>().returns.toEqualTypeOf<StoredRecord | undefined>()
  })

  test('memoryStore() is a CredentialStore and takes its options only', () => {
    expectTypeOf(memoryStore()).toEqualTypeOf<CredentialStore>()
    expectTypeOf(memoryStore).toBeCallableWith({ max: 100, maxBytes: 1 << 20, maxTtl: 60_000, name: 'l1' })
    // @ts-expect-error max is a number
    memoryStore({ max: '100' })
    // @ts-expect-error no such option
    memoryStore({ ttl: 1000 })
  })
})

describe('createBridge options', () => {
  test('createBridge returns a CredentialBridge', () => {
    expectTypeOf(createBridge({ stores: [memoryStore()] })).toEqualTypeOf<CredentialBridge>()
  })

  test('stores are required', () => {
    // @ts-expect-error stores is required
    createBridge({})
    // @ts-expect-error stores is an array of tiers
    createBridge({ stores: memoryStore() })
  })

  test('an unknown option does not compile', () => {
    // @ts-expect-error no such option
    createBridge({ stores: [memoryStore()], tiers: [] })
  })

  test('apps need a platform and an appid; secret and dcloudAppid are strings', () => {
    expectTypeOf(createBridge).toBeCallableWith({
      stores: [memoryStore()],
      apps: [{ dcloudAppid: 'd', platform: 'weixin-mp', appid: 'wx1', secret: 's' }],
    })
    // @ts-expect-error appid is required
    createBridge({ stores: [memoryStore()], apps: [{ platform: 'weixin-mp' }] })
    // @ts-expect-error not a platform
    createBridge({ stores: [memoryStore()], apps: [{ platform: 'wechat', appid: 'wx1' }] })
    // @ts-expect-error appsecret is spelt secret
    createBridge({ stores: [memoryStore()], apps: [{ platform: 'weixin-mp', appid: 'wx1', appsecret: 's' }] })
  })

  test('coordination options are typed', () => {
    expectTypeOf(createBridge).toBeCallableWith({
      stores: [memoryStore()],
      refreshAhead: { access_token: 120_000, ticket: 0 },
      fetchTimeout: 5_000,
      lock: { ttl: 10_000, waitTimeout: 15_000, pollInterval: 50 },
      failureBackoff: { min: 1_000, max: 30_000, configuration: 60_000 },
      breaker: false,
    })
    expectTypeOf<BridgeOptions['refreshAhead']>().toEqualTypeOf<
      number | Partial<Record<CredentialKind, number>> | undefined
    >()
    // @ts-expect-error refreshAhead names credential kinds
    createBridge({ stores: [memoryStore()], refreshAhead: { token: 1 } })
    // @ts-expect-error breaker is false or its options
    createBridge({ stores: [memoryStore()], breaker: true })
    // @ts-expect-error no such lock option
    createBridge({ stores: [memoryStore()], lock: { timeout: 1 } })
  })
})

describe('CredentialSource', () => {
  test('a hand-written source satisfies it and is accepted', () => {
    const source = {
      async fetch<K extends CredentialKind>(
        kind: K,
        key: ResolvedKey<K>,
        ctx: SourceContext,
      ): Promise<FetchResult<K> | null> {
        const _kind: CredentialKind = key.kind
        expectTypeOf(key.storageKey).toEqualTypeOf<string>()
        expectTypeOf(ctx.bridge).toEqualTypeOf<CredentialBridge>()
        expectTypeOf(ctx.app?.secret).toEqualTypeOf<string | undefined>()
        void kind
        return null
      },
    } satisfies CredentialSource
    expectTypeOf(createBridge).toBeCallableWith({ stores: [memoryStore()], source })
  })

  test('a fetch result pairs the value of its kind with expiresIn seconds', () => {
    expectTypeOf<FetchResult<'ticket'>>().toEqualTypeOf<{ value: TicketValue; expiresIn: number }>()
    // @ts-expect-error an access_token value for a ticket
    const _wrong: FetchResult<'ticket'> = { value: { access_token: 'a' }, expiresIn: 60 }
  })

  test('a source without fetch does not compile', () => {
    // @ts-expect-error fetch is required
    createBridge({ stores: [memoryStore()], source: { close: async () => {} } })
  })

  test('bridge.source and bridge.resolve', () => {
    expectTypeOf(({} as CredentialBridge).source).toEqualTypeOf<CredentialSource | undefined>()
    const { key, ctx } = ({} as CredentialBridge).resolve('encrypt_key', {
      appid: 'wx1',
      platform: 'weixin-mp',
      openid: 'o',
      version: 2,
    })
    expectTypeOf(key).toEqualTypeOf<ResolvedKey<'encrypt_key'>>()
    expectTypeOf(ctx).toEqualTypeOf<SourceContext>()
  })
})
