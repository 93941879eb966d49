/**
 * Encryption at rest, in the process: the envelope (AES-256-GCM, the storage key as associated data, a fresh nonce
 * per write, the key id), the keyring (validation, rotation, a key provider), `sealedStore` over a real memory
 * store, and the bridge option (the memory tier stays plain, a record that does not open is a miss or an error).
 * The same over real Redis and SQLite: test/encryption/at-rest.test.ts.
 */
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import {
  createBridge,
  createKeyring,
  isBridgeError,
  keyField,
  kindOfStorageKey,
  registerKind,
  memoryStore,
  sealedStore,
  type BridgeEvents,
  type CredentialStore,
  type EncryptionKey,
  type SealOpenError,
  type StoredRecord,
} from '@open-bridge/core'
import { describe, expect, it } from 'vitest'

const keyA = randomBytes(32).toString('base64')
const keyB = randomBytes(32).toString('base64')
const A: EncryptionKey = { id: 'a', key: keyA }
const B: EncryptionKey = { id: 'b', key: keyB }
const TOKEN = 'ACCESS_TOKEN_secret_0123456789'
const SK = 'uni-id:weixin-mp:wxapp0001:access-token'
const SESSION = 'uni-id:weixin-mp:wxapp0001:openid01:session-key'
const record = (value: object = { access_token: TOKEN }, expiresAt: number | null = Date.now() + 60_000) =>
  ({ value, expiresAt }) as StoredRecord

/** An in-memory tier seen as a shared one: the bridge would seal it (memoryStore is marked in-process). */
function sharedMemory(): CredentialStore {
  const inner = memoryStore()
  return { name: 'shared', get: inner.get, set: inner.set, delete: inner.delete, close: inner.close }
}

function sealedPair(keys: EncryptionKey[], extra: { acceptPlain?: boolean } = {}) {
  const inner = memoryStore({ name: 'inner' })
  const failures: SealOpenError[] = []
  const store = sealedStore(inner, { keyring: createKeyring(keys), onOpenFailed: (e) => failures.push(e), ...extra })
  return { inner, store, failures }
}

describe('the envelope', () => {
  it('stores { ob: 1, kid, n, c } with base64 fields and the expiry in clear; the value opens back', async () => {
    const { inner, store } = sealedPair([A])
    const written = record()
    await store.set(SK, written)
    const raw = (await inner.get(SK))!
    expect(Object.keys(raw.value).sort()).toEqual(['c', 'kid', 'n', 'ob'])
    expect(raw.value).toMatchObject({ ob: 1, kid: 'a' })
    expect(Buffer.from((raw.value as unknown as { n: string }).n, 'base64')).toHaveLength(12)
    expect(raw.expiresAt).toBe(written.expiresAt)
    expect(JSON.stringify(raw)).not.toContain(TOKEN)
    expect(await store.get(SK)).toEqual(written)
    expect(store.getSync!(SK)).toEqual(written)
  })

  it('two writes of the same value differ (a fresh nonce each time)', async () => {
    const { inner, store } = sealedPair([A])
    const same = record()
    await store.set(SK, same)
    const first = (await inner.get(SK))!.value as unknown as { n: string; c: string }
    await store.set(SK, same)
    const second = (await inner.get(SK))!.value as unknown as { n: string; c: string }
    expect(second.n).not.toBe(first.n)
    expect(second.c).not.toBe(first.c)
  })

  it('an envelope copied under another storage key does not open (the key is the associated data)', async () => {
    const { inner, store, failures } = sealedPair([A])
    await store.set(SK, record())
    const other = 'uni-id:weixin-mp:wxapp0002:access-token'
    await inner.set(other, (await inner.get(SK))!)
    expect(await store.get(other)).toBeUndefined()
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ code: 'E_SEAL_OPEN_FAILED', keyId: 'a', reason: 'authentication' })
    expect(failures[0]!.storageKey).toBe(other)
  })

  it('one changed byte of the ciphertext does not open', async () => {
    const { inner, store, failures } = sealedPair([A])
    await store.set(SK, record())
    const env = (await inner.get(SK))!.value as unknown as { c: string }
    const bytes = Buffer.from(env.c, 'base64')
    bytes[0] = bytes[0]! ^ 1
    await inner.set(SK, { value: { ...env, c: bytes.toString('base64') } as never, expiresAt: Date.now() + 60_000 })
    expect(await store.get(SK)).toBeUndefined()
    expect(failures.map((e) => e.reason)).toEqual(['authentication'])
  })

  it('an envelope of an unknown version, or with fields that are not base64, is malformed', async () => {
    const { inner, store, failures } = sealedPair([A])
    await inner.set(SK, record({ ob: 2, kid: 'a', n: 'AAAA', c: 'AAAA' }))
    expect(await store.get(SK)).toBeUndefined()
    await inner.set(SK, record({ ob: 1, kid: 'a', n: '!!', c: '!!' }))
    expect(await store.get(SK)).toBeUndefined()
    expect(failures.map((e) => [e.reason, e.keyId])).toEqual([
      ['malformed', 'a'],
      ['malformed', 'a'],
    ])
  })
})

describe('the open cache', () => {
  it('a second read of the same envelope gives the same frozen value; a changed envelope is opened again', async () => {
    const { inner, store, failures } = sealedPair([A])
    await store.set(SK, record())
    const first = (await store.get(SK))!.value
    expect((await store.get(SK))!.value).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    const env = (await inner.get(SK))!.value as unknown as { c: string }
    const bytes = Buffer.from(env.c, 'base64')
    bytes[3] = bytes[3]! ^ 1
    await inner.set(SK, { value: { ...env, c: bytes.toString('base64') } as never, expiresAt: Date.now() + 60_000 })
    expect(await store.get(SK)).toBeUndefined()
    expect(failures.map((e) => e.reason)).toEqual(['authentication'])
  })

  it('a key provider that drops a key: what it opened before no longer opens', async () => {
    let list: EncryptionKey[] = [A]
    const keyring = createKeyring(async () => list, { reloadInterval: 0 })
    const inner = memoryStore()
    const failures: SealOpenError[] = []
    const store = sealedStore(inner, { keyring, onOpenFailed: (e) => failures.push(e) })
    await store.set(SK, record())
    expect((await store.get(SK))?.value).toEqual({ access_token: TOKEN })
    // A record under an unknown id makes the keyring reload; the new list no longer holds a.
    list = [B]
    const other = 'uni-id:weixin-mp:wxapp0009:access-token'
    await sealedStore(inner, { keyring: createKeyring([{ id: 'c', key: keyB }]) }).set(other, record())
    expect(await store.get(other)).toBeUndefined()
    expect(await store.get(SK)).toBeUndefined()
    expect(failures.map((e) => [e.keyId, e.reason])).toEqual([
      ['c', 'unknown-key'],
      ['a', 'unknown-key'],
    ])
  })

  it('openCacheSize 0 opens every time (a new object each read)', async () => {
    const store = sealedStore(memoryStore(), { keyring: createKeyring([A]), openCacheSize: 0 })
    await store.set(SK, record())
    expect((await store.get(SK))!.value).not.toBe((await store.get(SK))!.value)
  })

  it('openCacheSize must be an integer ≥ 0: E_INVALID_CONFIG naming it', () => {
    for (const openCacheSize of [-1, 1.5, Number.NaN]) {
      expect(() => sealedStore(memoryStore(), { keyring: createKeyring([A]), openCacheSize })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'openCacheSize' }),
      )
    }
  })

  it('the cache holds at most openCacheSize keys', async () => {
    const store = sealedStore(memoryStore(), { keyring: createKeyring([A]), openCacheSize: 1 })
    const other = 'uni-id:weixin-mp:wxapp0002:access-token'
    await store.set(SK, record())
    await store.set(other, record())
    const first = (await store.get(SK))!.value
    await store.get(other)
    expect((await store.get(SK))!.value).not.toBe(first)
  })
})

describe('the rest of the wrapper', () => {
  it('a synchronous read that does not open: a miss for a fetchable kind, the error for a session key', async () => {
    const { inner, store, failures } = sealedPair([A])
    await sealedStore(inner, { keyring: createKeyring([B]) }).set(SK, record())
    await sealedStore(inner, { keyring: createKeyring([{ id: 'a', key: keyB }]) }).set(
      SESSION,
      record({ session_key: 'S' }),
    )
    expect(store.getSync!(SK)).toBeUndefined()
    expect(() => store.getSync!(SESSION)).toThrow(
      expect.objectContaining({ code: 'E_SEAL_OPEN_FAILED', durable: true }),
    )
    expect(failures.map((e) => [e.reason, e.keyId])).toEqual([
      ['unknown-key', 'b'],
      ['authentication', 'a'],
    ])
    expect(store.getSync!('uni-id:weixin-mp:wxnone:access-token')).toBeUndefined()
  })

  it('delete, close and keys() go to the store (delete also forgets the opened value)', async () => {
    const inner = memoryStore()
    const listed = ['uni-id:weixin-mp:wx1:access-token']
    const withKeys: CredentialStore = {
      name: 'listing',
      get: inner.get,
      set: inner.set,
      delete: inner.delete,
      close: inner.close,
      keys: async function* () {
        yield* listed
      },
    }
    const store = sealedStore(withKeys, { keyring: createKeyring([A]) })
    await store.set(SK, record())
    expect(await store.get(SK)).toBeDefined()
    await store.delete(SK)
    expect(await store.get(SK)).toBeUndefined()
    expect(await inner.get(SK)).toBeUndefined()
    const keys: string[] = []
    for await (const key of store.keys!()) keys.push(key)
    expect(keys).toEqual(listed)
    await store.close()
    expect(sealedStore(memoryStore(), { keyring: createKeyring([A]) }).keys).toBeUndefined()
  })

  it('keyring ids and generation; a list keyring never reloads', async () => {
    const list = createKeyring([A, B])
    expect(list.ids).toEqual(['a', 'b'])
    expect(list.dynamic).toBe(false)
    expect(await list.reloadFor('zzz')).toBe(false)
    const provided = createKeyring(async () => [B])
    expect(provided.ids).toEqual([])
    expect(provided.ready).toBe(false)
    await provided.keys()
    expect(provided.ids).toEqual(['b'])
    expect(provided.generation).toBe(1)
    expect(inspect(provided)).toBe('Keyring { ids: ["b"], provider }')
  })
})

describe('keys and rotation', () => {
  it('the first key seals, every listed key opens', async () => {
    const inner = memoryStore()
    const old = sealedStore(inner, { keyring: createKeyring([A]) })
    await old.set(SK, record())
    const rotated = sealedStore(inner, { keyring: createKeyring([B, A]) })
    expect((await rotated.get(SK))?.value).toEqual({ access_token: TOKEN })
    await rotated.set(SK, record())
    expect((await inner.get(SK))!.value).toMatchObject({ kid: 'b' })
    // After the rewrite the old key can go.
    const onlyNew = sealedStore(inner, { keyring: createKeyring([B]) })
    expect((await onlyNew.get(SK))?.value).toEqual({ access_token: TOKEN })
  })

  it('a key id the keyring does not hold fails naming that id', async () => {
    const inner = memoryStore()
    await sealedStore(inner, { keyring: createKeyring([A]) }).set(SK, record())
    const failures: SealOpenError[] = []
    const store = sealedStore(inner, { keyring: createKeyring([B]), onOpenFailed: (e) => failures.push(e) })
    expect(await store.get(SK)).toBeUndefined()
    expect(failures[0]).toMatchObject({ reason: 'unknown-key', keyId: 'a' })
    expect(failures[0]!.message).toContain('"a"')
  })

  it('a different key under the same id is an authentication failure naming the id (the lookup is by id)', async () => {
    const inner = memoryStore()
    await sealedStore(inner, { keyring: createKeyring([A]) }).set(SK, record())
    const failures: SealOpenError[] = []
    const wrong = sealedStore(inner, {
      keyring: createKeyring([{ id: 'a', key: keyB }]),
      onOpenFailed: (e) => failures.push(e),
    })
    expect(await wrong.get(SK)).toBeUndefined()
    expect(failures[0]).toMatchObject({ reason: 'authentication', keyId: 'a' })
    // Listed second, the right key under its id still opens it: the envelope's id picks the key, not the order.
    const both = sealedStore(inner, { keyring: createKeyring([B, A]) })
    expect((await both.get(SK))?.value).toEqual({ access_token: TOKEN })
  })

  it.each([
    [[], 'encryption.keys'],
    ['nope', 'encryption.keys'],
    [[{ id: '', key: keyA }], 'encryption.keys[0].id'],
    [[{ id: 'a:b', key: keyA }], 'encryption.keys[0].id'],
    [[A, { id: 'a', key: keyB }], 'encryption.keys[1].id'],
    [[{ id: 'short', key: randomBytes(16).toString('base64') }], 'encryption.keys[0].key'],
    [[{ id: 'bytes', key: randomBytes(31) }], 'encryption.keys[0].key'],
    [[{ id: 'num', key: 42 }], 'encryption.keys[0].key'],
    [[null], 'encryption.keys[0]'],
  ])('bad keys %# fail with E_INVALID_CONFIG naming %s', (keys, field) => {
    let caught: unknown
    try {
      createKeyring(keys as never)
    } catch (error) {
      caught = error
    }
    expect(isBridgeError(caught, 'E_INVALID_CONFIG')).toBe(true)
    expect((caught as { field: string }).field).toBe(field)
  })

  it('a short key fails naming its key id, never quoting the key', () => {
    const short = randomBytes(20).toString('base64')
    let caught: unknown
    try {
      createKeyring([A, { id: 'next-2026', key: short }])
    } catch (error) {
      caught = error
    }
    expect((caught as Error).message).toContain('"next-2026"')
    expect(`${inspect(caught)}${JSON.stringify(caught)}`).not.toContain(short)
  })

  it('accepts URL-safe base64 and Buffers of 32 bytes', async () => {
    const bytes = randomBytes(32)
    const url = bytes.toString('base64url')
    const inner = memoryStore()
    await sealedStore(inner, { keyring: createKeyring([{ id: 'u', key: url }]) }).set(SK, record())
    const store = sealedStore(inner, { keyring: createKeyring([{ id: 'u', key: bytes }]) })
    expect((await store.get(SK))?.value).toEqual({ access_token: TOKEN })
  })

  it('no key material in inspect or JSON of the keyring, the store or a bridge', () => {
    const bytes = randomBytes(32)
    const keys = [A, { id: 'buf', key: bytes }]
    const keyring = createKeyring(keys)
    const store = sealedStore(memoryStore(), { keyring })
    const bridge = createBridge({ stores: [memoryStore(), sharedMemory()], encryption: { keys } })
    const shown = [inspect(keyring, { showHidden: true, depth: 10 }), JSON.stringify(keyring)]
    shown.push(inspect(store, { showHidden: true, depth: 10 }), inspect(bridge, { showHidden: true, depth: 10 }))
    for (const text of shown) {
      expect(text).not.toContain(keyA)
      expect(text).not.toContain(bytes.toString('base64'))
      expect(text).not.toContain(bytes.toString('hex'))
    }
    expect(shown[0]).toContain('"a", "buf"')
  })
})

describe('plain records (migration)', () => {
  it('are refused by default (reason plain) and read with acceptPlain, then sealed on the next write', async () => {
    const inner = memoryStore()
    await inner.set(SK, record())
    const strict = sealedPair([A])
    await strict.inner.set(SK, record())
    expect(await strict.store.get(SK)).toBeUndefined()
    expect(strict.failures.map((e) => [e.reason, e.keyId])).toEqual([['plain', undefined]])

    const lenient = sealedStore(inner, { keyring: createKeyring([A]), acceptPlain: true })
    expect((await lenient.get(SK))?.value).toEqual({ access_token: TOKEN })
    await lenient.set(SK, record())
    expect((await inner.get(SK))!.value).toMatchObject({ ob: 1, kid: 'a' })
  })
})

describe('compareAndSet through the seal', () => {
  /** A real in-memory compare-and-set store (compares the stored JSON), for the wrapper's logic. */
  function casStore(): CredentialStore & { raw: Map<string, string> } {
    const raw = new Map<string, string>()
    const read = (key: string) => {
      const text = raw.get(key)
      if (text === undefined) return undefined
      const rec = JSON.parse(text) as StoredRecord
      return rec.expiresAt !== null && rec.expiresAt <= Date.now() ? undefined : rec
    }
    return {
      name: 'cas',
      raw,
      get: async (key) => read(key),
      set: async (key, rec) => void raw.set(key, JSON.stringify(rec)),
      delete: async (key) => void raw.delete(key),
      close: async () => undefined,
      compareAndSet: async (key, expected, rec) => {
        const now = read(key)
        const ok =
          expected === undefined || (expected.expiresAt !== null && expected.expiresAt <= Date.now())
            ? now === undefined || JSON.stringify(now) === JSON.stringify(expected)
            : now !== undefined && JSON.stringify(now) === JSON.stringify(expected)
        if (ok) raw.set(key, JSON.stringify(rec))
        return ok
      },
    }
  }

  it('compares opened values and writes a sealed one', async () => {
    const inner = casStore()
    const store = sealedStore(inner, { keyring: createKeyring([A]) })
    const first = record({ access_token: 'FIRST_TOKEN_0001' })
    expect(await store.compareAndSet!(SK, undefined, first)).toBe(true)
    expect(inner.raw.get(SK)).not.toContain('FIRST_TOKEN_0001')
    const seen = (await store.get(SK))!
    const second = record({ access_token: 'SECOND_TOKEN_002' })
    expect(await store.compareAndSet!(SK, undefined, second)).toBe(false)
    expect(await store.compareAndSet!(SK, record({ access_token: 'OTHER_TOKEN_0003' }), second)).toBe(false)
    expect(await store.compareAndSet!(SK, seen, second)).toBe(true)
    expect((await store.get(SK))?.value).toEqual({ access_token: 'SECOND_TOKEN_002' })
    // The one seen before is no longer there.
    expect(await store.compareAndSet!(SK, seen, first)).toBe(false)
  })

  it('a session key that does not open (it would throw on a read) is replaced by a write expecting nothing', async () => {
    const inner = casStore()
    await inner.set(SESSION, record({ ob: 1, kid: 'gone', n: 'AAAAAAAAAAAAAAAA', c: 'AAAAAAAAAAAAAAAAAAAAAA==' }))
    const store = sealedStore(inner, { keyring: createKeyring([A]) })
    await expect(store.get(SESSION)).rejects.toMatchObject({ code: 'E_SEAL_OPEN_FAILED' })
    expect(await store.compareAndSet!(SESSION, undefined, record({ session_key: 'NEW_SESSION_1' }))).toBe(true)
    expect((await store.get(SESSION))?.value).toEqual({ session_key: 'NEW_SESSION_1' })
  })

  it('a record that does not open counts as nothing live: the write replaces it', async () => {
    const inner = casStore()
    await inner.set(SK, record({ ob: 1, kid: 'gone', n: 'AAAAAAAAAAAAAAAA', c: 'AAAAAAAAAAAAAAAAAAAAAA==' }))
    const store = sealedStore(inner, { keyring: createKeyring([A]) })
    expect(await store.compareAndSet!(SK, undefined, record())).toBe(true)
    expect((await store.get(SK))?.value).toEqual({ access_token: TOKEN })
  })

  it('keeps the lock of the store it wraps', () => {
    const lock = { acquire: async () => true, release: async () => true, extend: async () => true }
    const store = sealedStore({ ...memoryStore(), lock }, { keyring: createKeyring([A]) })
    expect(store.lock).toBe(lock)
    expect(sealedStore(memoryStore(), { keyring: createKeyring([A]) }).lock).toBeUndefined()
  })

  it('says whether its store persists, and watches through it (a durable kind and the wake-up need both)', () => {
    const watched: string[] = []
    const stop = () => undefined
    const inner: CredentialStore = {
      ...sharedMemory(),
      persistent: true,
      watch: (key, onChange) => {
        watched.push(key)
        onChange()
        return stop
      },
    }
    const store = sealedStore(inner, { keyring: createKeyring([A]) })
    expect(store.persistent).toBe(true)
    let changed = 0
    expect(store.watch!(SK, () => changed++)).toBe(stop)
    expect(watched).toEqual([SK])
    expect(changed).toBe(1)
    const bare = sealedStore(sharedMemory(), { keyring: createKeyring([A]) })
    expect(bare.persistent).toBeUndefined()
    expect(bare.watch).toBeUndefined()
  })

  it('a durable kind is written through a sealed persistent tier (the bridge sees the tier persist)', async () => {
    const inner: CredentialStore = { ...sharedMemory(), persistent: true }
    const bridge = createBridge({ stores: [memoryStore(), inner], encryption: { keys: [A] } })
    const kind = registerKind<{ account: string }, { refresh_token: string }>({
      name: 'sealed_durable_test',
      keyFields: { account: keyField.segment() },
      storageKey: (key) => `sealed-durable-test:${key.account}:refresh-token`,
      credentialField: 'refresh_token',
      durable: true,
    })
    await bridge.credential(kind).set({ account: 'a1' }, { refresh_token: 'DURABLE-SECRET-1' }, -1)
    const stored = await inner.get('sealed-durable-test:a1:refresh-token')
    expect(JSON.stringify(stored)).not.toContain('DURABLE-SECRET-1')
    expect(await bridge.credential(kind).get({ account: 'a1' })).toEqual({
      refresh_token: 'DURABLE-SECRET-1',
    })
    await bridge.close()
  })
})

describe('a key provider', () => {
  it('is called at start and, bounded, again for an unknown key id', async () => {
    let calls = 0
    let list: EncryptionKey[] = [A]
    const keyring = createKeyring(
      async () => {
        calls++
        return list
      },
      { reloadInterval: 60_000 },
    )
    const inner = memoryStore()
    const store = sealedStore(inner, { keyring })
    expect(store.getSync).toBeUndefined()
    await store.set(SK, record())
    expect(calls).toBe(1)
    // Another process rotated to b: this one learns b on the first record sealed with it.
    await sealedStore(inner, { keyring: createKeyring([B]) }).set(SK, record())
    list = [B, A]
    expect((await store.get(SK))?.value).toEqual({ access_token: TOKEN })
    expect(calls).toBe(2)
  })

  it('an unknown key id reloads once per interval, not on every failed open', async () => {
    let calls = 0
    let list: EncryptionKey[] = [A]
    const keyring = createKeyring(
      async () => {
        calls++
        return list
      },
      { reloadInterval: 60_000 },
    )
    const inner = memoryStore()
    const store = sealedStore(inner, { keyring, onOpenFailed: () => undefined })
    await store.set(SK, record())
    await sealedStore(inner, { keyring: createKeyring([{ id: 'bogus', key: keyB }]) }).set(SK, record())
    for (let i = 0; i < 5; i++) expect(await store.get(SK)).toBeUndefined()
    // The first unknown id asked again; the next four within the interval did not.
    expect(calls).toBe(2)
    list = [{ id: 'bogus', key: keyB }, A]
    expect(await store.get(SK)).toBeUndefined()
    expect(calls).toBe(2)
  })

  it('with a zero interval, an unknown id asks the provider again and opens once it answers the key', async () => {
    let calls = 0
    let list: EncryptionKey[] = [A]
    const keyring = createKeyring(
      async () => {
        calls++
        return list
      },
      { reloadInterval: 0 },
    )
    const inner = memoryStore()
    const store = sealedStore(inner, { keyring })
    await store.set(SK, record())
    await sealedStore(inner, { keyring: createKeyring([B]) }).set(SK, record())
    list = [B, A]
    expect((await store.get(SK))?.value).toEqual({ access_token: TOKEN })
    expect(calls).toBe(2)
  })

  it('a provider that fails or answers bad keys: E_KEYS_UNAVAILABLE, without its message details of keys', async () => {
    const failing = sealedStore(memoryStore(), {
      keyring: createKeyring(async () => {
        throw new Error(`vault down, token ${keyA}`)
      }),
    })
    const error = await failing.set(SK, record()).catch((e: unknown) => e)
    expect(isBridgeError(error, 'E_KEYS_UNAVAILABLE')).toBe(true)
    expect(inspect(error, { depth: 10 })).not.toContain(keyA)
    const bad = sealedStore(memoryStore(), { keyring: createKeyring(async () => [{ id: 'x', key: 'short' }]) })
    const badError = await bad.set(SK, record()).catch((e: unknown) => e)
    expect(isBridgeError(badError, 'E_KEYS_UNAVAILABLE')).toBe(true)
    expect((badError as Error).message).toContain('"x"')
  })
})

describe('the bridge option', () => {
  const key = { appid: 'wxapp0001', platform: 'weixin-mp' } as const
  const user = { ...key, openid: 'openid01' }

  it('seals every tier but the memory tier', async () => {
    const memory = memoryStore()
    const shared = sharedMemory()
    const bridge = createBridge({ stores: [memory, shared], encryption: { keys: [A] } })
    await bridge.setAccessToken(key, { access_token: TOKEN }, 600)
    expect((await memory.get(SK))?.value).toEqual({ access_token: TOKEN })
    expect((await shared.get(SK))?.value).toMatchObject({ ob: 1, kid: 'a' })
    await memory.delete(SK)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: TOKEN })
    await bridge.close()
  })

  it('a fetchable record that does not open is a miss (event, then the source); a session_key one is an error', async () => {
    const shared = sharedMemory()
    const writer = createBridge({ stores: [shared], encryption: { keys: [A] } })
    await writer.setAccessToken(key, { access_token: TOKEN }, 600)
    await writer.setSessionKey(user, { session_key: 'SESSION_KEY_secret_01' }, 600)
    const events: BridgeEvents['seal-open-failed'][] = []
    const reader = createBridge({
      stores: [memoryStore(), shared],
      encryption: { keys: [B] },
      source: { fetch: async () => ({ value: { access_token: 'FRESH_TOKEN_0001' }, expiresIn: 600 }) as never },
    })
    reader.on('seal-open-failed', (e) => void events.push(e))
    expect(await reader.getAccessToken(key)).toEqual({ access_token: 'FRESH_TOKEN_0001' })
    const error = await reader.getSessionKey(user).catch((e: unknown) => e)
    expect(isBridgeError(error, 'E_SEAL_OPEN_FAILED')).toBe(true)
    expect((error as SealOpenError).keyId).toBe('a')
    // The miss was read twice (the read, then the fill's look at the shared tiers): one event each.
    expect(events.filter((e) => e.storageKey === SK).length).toBeGreaterThan(0)
    expect([...new Set(events.map((e) => JSON.stringify(e)))].map((e) => JSON.parse(e))).toEqual([
      { tier: 'shared', storageKey: SK, keyId: 'a', reason: 'unknown-key', surfaced: false },
      { tier: 'shared', storageKey: SESSION, keyId: 'a', reason: 'unknown-key', surfaced: true },
    ])
    expect(JSON.stringify(events) + inspect(error)).not.toContain('SESSION_KEY_secret_01')
    await Promise.all([writer.close(), reader.close()])
  })

  it('validates the option: E_INVALID_CONFIG naming the field', () => {
    for (const [encryption, field] of [
      [null, 'encryption'],
      [{ keys: [A], acceptPlain: 'yes' }, 'encryption.acceptPlain'],
      [{ keys: [A], reloadInterval: -1 }, 'encryption.reloadInterval'],
      [{ keys: [{ id: 'k1', key: 'AAAA' }] }, 'encryption.keys[0].key'],
    ] as const) {
      let caught: unknown
      try {
        createBridge({ stores: [memoryStore()], encryption: encryption as never })
      } catch (error) {
        caught = error
      }
      expect(isBridgeError(caught, 'E_INVALID_CONFIG')).toBe(true)
      expect((caught as { field: string }).field).toBe(field)
    }
  })
})

describe('kindOfStorageKey', () => {
  it('reads the kind back from the layout', () => {
    expect(kindOfStorageKey(SK)).toBe('access_token')
    expect(kindOfStorageKey('uni-id:weixin-mp:wx1:ticket')).toBe('ticket')
    expect(kindOfStorageKey('uni-id:weixin-mp:wx1:ticket-wx_card')).toBe('ticket')
    expect(kindOfStorageKey(SESSION)).toBe('session_key')
    expect(kindOfStorageKey('uni-id:weixin-h5:wx1:o1:user-access-token')).toBe('user_access_token')
    expect(kindOfStorageKey('uni-id:weixin-h5:wx1:o1:user-refresh-token')).toBe('user_refresh_token')
    expect(kindOfStorageKey('uni-id:weixin-mp:wx1:o1:encrypt-key-3')).toBe('encrypt_key')
    for (const other of [
      'x:weixin-mp:wx1:access-token',
      'uni-id:weixin-mp::access-token',
      'uni-id:a:b:c:d:e',
      'uni-id:a:b:o:nope',
    ])
      expect(kindOfStorageKey(other)).toBeUndefined()
  })
})

describe('a failure record (deployment-wide failure memory) that does not open', () => {
  it('is no record (never an error that would fail the tier); a session key beside it still is one', async () => {
    const inner = sharedMemory()
    const before = sealedStore(inner, { keyring: createKeyring([B]) })
    const failureKey = `${SESSION}:failure`
    await before.set(failureKey, record({ code: 'E_PLATFORM_API', message: 'refused', streak: 1 }))
    await before.set(SESSION, record({ session_key: 'SK-SECRET' }))
    // Key b rotated away: neither record opens any more.
    const after = sealedStore(inner, { keyring: createKeyring([A]) })
    await expect(after.get(failureKey)).resolves.toBeUndefined()
    await expect(after.get(SESSION)).rejects.toMatchObject({ code: 'E_SEAL_OPEN_FAILED', keyId: 'b' })
  })
})
