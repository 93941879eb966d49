import { setTimeout as sleep } from 'node:timers/promises'
import { isBridgeError } from '@open-bridge/core'
import { runStoreContract } from '@open-bridge/core/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { redisStore, RedisStoreError, type RedisStoreOptions } from '../src/index.js'

const server: RedisServer = await startRedisServer()
afterAll(() => server.stop())

runStoreContract('redisStore', {
  create: () => redisStore({ url: server.url }),
  lock: true,
  compareAndSet: true,
  watch: true,
  // Nothing listens on a fresh free port: every command fails, and the URL's password must not show.
  failing: async () => ({
    store: redisStore({ url: `redis://:Contract-pw-77@127.0.0.1:${await freePort()}`, socketTimeout: 200 }),
    secrets: ['Contract-pw-77'],
  }),
})

let n = 0
const uniqueKey = (type = 'access-token') => `uni-id:weixin-mp:wxlayout${process.pid}x${++n}:${type}`

/** Polls `check` every 50 ms for at most `ms`; resolves its last answer. */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await sleep(50)
  }
}

describe('redisStore layout (seen through a raw client)', () => {
  let raw: Redis
  beforeAll(() => {
    raw = new Redis(server.url)
  })
  afterAll(async () => {
    await raw.quit()
  })

  it('writes the storage key as is, the JSON of the value with __expiresAt, and a TTL on the key', async () => {
    const store = redisStore({ client: raw })
    const key = uniqueKey()
    const expiresAt = Date.now() + 7_200_000
    await store.set(key, { value: { access_token: 'AT', expires_in: 7200 }, expiresAt })
    expect(JSON.parse((await raw.get(key))!)).toEqual({ access_token: 'AT', expires_in: 7200, __expiresAt: expiresAt })
    // The key's TTL ends with the record (to the millisecond, rounded up).
    const keyExpiry = await raw.pexpiretime(key)
    expect(keyExpiry).toBeGreaterThanOrEqual(expiresAt)
    expect(keyExpiry).toBeLessThanOrEqual(expiresAt + 1_000)
    expect(await raw.pttl(key)).toBeGreaterThan(7_100_000)
    await store.close()
  })

  it('sets no TTL for a record that never expires, and says so in the JSON', async () => {
    const store = redisStore({ client: raw })
    const key = uniqueKey('session-key')
    await store.set(key, { value: { session_key: 'sk' }, expiresAt: null })
    expect(await raw.pttl(key)).toBe(-1)
    expect(JSON.parse((await raw.get(key))!)).toEqual({ session_key: 'sk', __expiresAt: null })
    expect(await store.get(key)).toEqual({ value: { session_key: 'sk' }, expiresAt: null })
  })

  it('reads a key uni-open-bridge wrote (SET key json EX 7200) with the expiry of the key', async () => {
    const store = redisStore({ client: raw })
    const key = uniqueKey('ticket')
    await raw.set(key, JSON.stringify({ ticket: 'TICKET' }), 'EX', 7200)
    const before = Date.now()
    const read = await store.get(key)
    expect(read?.value).toEqual({ ticket: 'TICKET' })
    // Taken from PTTL, so within the read's round trip of the key's own expiry.
    const keyExpiry = await raw.pexpiretime(key)
    expect(read!.expiresAt!).toBeGreaterThanOrEqual(keyExpiry - (Date.now() - before) - 1)
    expect(read!.expiresAt!).toBeLessThanOrEqual(keyExpiry + (Date.now() - before) + 1)
  })

  it('rejects a malformed __expiresAt with E_REDIS_CORRUPT_RECORD', async () => {
    const store = redisStore({ client: raw })
    const key = uniqueKey()
    await raw.set(key, JSON.stringify({ access_token: 'x', __expiresAt: 'soon' }))
    await expect(store.get(key)).rejects.toMatchObject({ code: 'E_REDIS_CORRUPT_RECORD', field: key })
  })

  it('reads a key uni-open-bridge wrote without expiry as never expiring', async () => {
    const store = redisStore({ client: raw })
    const key = uniqueKey('session-key')
    await raw.set(key, JSON.stringify({ session_key: 'sk' }))
    expect(await store.get(key)).toEqual({ value: { session_key: 'sk' }, expiresAt: null })
  })

  it('puts keyPrefix in front of credential and lock keys, and keeps locks under lock:', async () => {
    const store = redisStore({ client: raw, keyPrefix: 'tenant-a:' })
    const key = uniqueKey()
    await store.set(key, { value: { access_token: 'p' }, expiresAt: null })
    expect(await raw.get(key)).toBeNull()
    expect(JSON.parse((await raw.get(`tenant-a:${key}`))!)).toEqual({ access_token: 'p', __expiresAt: null })

    expect(await store.lock!.acquire(key, 'holder-token', 5_000)).toBe(true)
    expect(await raw.get(`tenant-a:lock:${key}`)).toBe('holder-token')
    const pttl = await raw.pttl(`tenant-a:lock:${key}`)
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(5_000)
    expect(await store.lock!.release(key, 'holder-token')).toBe(true)
    expect(await raw.exists(`tenant-a:lock:${key}`)).toBe(0)
  })

  it('deletes the key when a record is written already expired', async () => {
    const store = redisStore({ client: raw })
    const key = uniqueKey()
    await raw.set(key, JSON.stringify({ access_token: 'older' }))
    await store.set(key, { value: { access_token: 'dead' }, expiresAt: Date.now() - 1 })
    expect(await raw.exists(key)).toBe(0)
  })

  it('rejects a key that does not hold a JSON object with E_REDIS_CORRUPT_RECORD, naming the key only', async () => {
    const store = redisStore({ client: raw })
    const key = uniqueKey()
    await raw.set(key, 'not json SECRET-ISH')
    const error = await store.get(key).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RedisStoreError)
    expect((error as RedisStoreError).code).toBe('E_REDIS_CORRUPT_RECORD')
    expect((error as RedisStoreError).field).toBe(key)
    expect((error as Error).message).not.toContain('SECRET-ISH')
    await raw.set(key, '[1,2]')
    await expect(store.get(key)).rejects.toMatchObject({ code: 'E_REDIS_CORRUPT_RECORD' })
  })

  it('leaves a client it was given open on close()', async () => {
    const store = redisStore({ client: raw })
    await store.close()
    await store.close()
    expect(raw.status).toBe('ready')
    expect(await raw.ping()).toBe('PONG')
  })

  it('quits the client it created from url on close()', async () => {
    const countClients = async () =>
      String(await raw.client('LIST'))
        .trim()
        .split('\n').length
    const before = await countClients()
    const store = redisStore({ url: server.url })
    await store.get(uniqueKey())
    expect(await countClients()).toBe(before + 1)
    await store.close()
    expect(await eventually(async () => (await countClients()) === before)).toBe(true)
  })
})

describe('redisStore created from url while Redis is down', () => {
  it('rejects reads while Redis is down instead of queueing them, and reconnects by itself', async () => {
    const own = await startRedisServer()
    const store = redisStore({ url: own.url, socketTimeout: 5_000 })
    try {
      const key = uniqueKey()
      await store.set(key, { value: { access_token: 'before' }, expiresAt: null })
      await own.kill()
      // Not a timeout: the command is refused because the client is disconnected.
      const error = await store.get(key).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      expect((error as Error).message).not.toMatch(/timed out/i)
      await own.restart()
      // The server came back empty (no persistence); the store's own client reconnected without help.
      expect(
        await eventually(
          async () =>
            await store.get(key).then(
              () => true,
              () => false,
            ),
        ),
      ).toBe(true)
      await store.set(key, { value: { access_token: 'after' }, expiresAt: null })
      expect((await store.get(key))?.value).toEqual({ access_token: 'after' })
    } finally {
      await store.close()
      await own.stop()
    }
  })
})

describe('redisStore options', () => {
  const cases: Array<[string, unknown]> = [
    ['options', null],
    ['options', 'redis://127.0.0.1'],
    ['client', {}],
    ['client', { client: { get: () => null } }],
    ['url', { url: 42 }],
    ['url.scheme', { url: 'http://127.0.0.1:6379' }],
    ['url.scheme', { url: '' }],
    ['url', { client: 'x', url: 'redis://127.0.0.1:1' }],
    ['socketTimeout', { url: 'redis://127.0.0.1:1', socketTimeout: 0 }],
    ['socketTimeout', { url: 'redis://127.0.0.1:1', socketTimeout: Number.NaN }],
    ['keyPrefix', { url: 'redis://127.0.0.1:1', keyPrefix: 7 }],
    ['name', { url: 'redis://127.0.0.1:1', name: '' }],
  ]
  it.each(cases)('rejects a bad %s with E_INVALID_CONFIG naming it', (field, options) => {
    let error: unknown
    try {
      redisStore(options as RedisStoreOptions)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(RedisStoreError)
    expect(isBridgeError(error, 'E_INVALID_CONFIG')).toBe(true)
    expect((error as RedisStoreError).field).toBe(field)
  })

  it('does not echo the url (it may hold a password) in an error', () => {
    expect(() => redisStore({ url: 'http://user:hunter2@host' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    )
  })

  it('rejects socketTimeout next to a client it does not own', () => {
    const client = new Redis({ lazyConnect: true })
    expect(() => redisStore({ client, socketTimeout: 5 } as unknown as RedisStoreOptions)).toThrow(
      expect.objectContaining({ field: 'socketTimeout' }),
    )
    client.disconnect()
  })
})
