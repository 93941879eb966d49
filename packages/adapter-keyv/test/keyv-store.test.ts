import { setTimeout as sleep } from 'node:timers/promises'
import { isBridgeError, type StoredRecord } from '@open-bridge/core'
import { runStoreContract } from '@open-bridge/core/testing'
import { keyvStore } from '@open-bridge/adapter-keyv'
import KeyvRedis, { createKeyv } from '@keyv/redis'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { freePort, startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'

let n = 0
const uniqueKey = (suffix: string) => `uni-id:weixin-mp:wxkeyv${process.pid}x${++n}:${suffix}`

let server: RedisServer
let redisKeyv: Keyv
let redis: Redis

beforeAll(async () => {
  server = await startRedisServer()
  // throwOnErrors: a Redis failure reaches the bridge as a tier error instead of looking like a miss.
  redisKeyv = createKeyv(server.url, { throwOnErrors: true })
  redis = new Redis(server.port, '127.0.0.1', { lazyConnect: true })
})
afterAll(async () => {
  await redisKeyv?.disconnect()
  redis?.disconnect()
  await server?.stop()
})

/**
 * A Keyv store that fails the way drivers do: the error quotes what it was sent (message and a `command.args`
 * field, as ioredis' ReplyError does) and has a code. keyvStore must pass on none of it.
 */
function quotingFailingStore(): Map<string, unknown> {
  const store = new Map<string, unknown>()
  const fail = (command: string, args: unknown[]) =>
    Promise.reject(
      Object.assign(new Error(`READONLY refused ${command} ${JSON.stringify(args)}`), {
        name: 'ReplyError',
        code: 'READONLY',
        command: { name: command, args },
      }),
    )
  return Object.assign(store, {
    get: (key: string) => fail('get', [key]),
    set: (key: string, value: unknown) => fail('set', [key, value]),
    delete: (key: string) => fail('del', [key]),
  }) as never
}

runStoreContract('keyvStore (Keyv, default Map store)', {
  create: () => keyvStore({ keyv: new Keyv() }),
  lock: false,
  failing: () => ({ store: keyvStore({ keyv: new Keyv({ store: quotingFailingStore(), throwOnErrors: true }) }) }),
})
runStoreContract('keyvStore (Keyv, Map store, serialization off)', {
  create: () => keyvStore({ keyv: new Keyv({ serialize: undefined, deserialize: undefined }) }),
  lock: false,
  failing: () => ({
    store: keyvStore({
      keyv: new Keyv({
        store: quotingFailingStore(),
        throwOnErrors: true,
        serialize: undefined,
        deserialize: undefined,
      }),
    }),
  }),
})
runStoreContract('keyvStore (@keyv/redis)', {
  create: () => keyvStore({ keyv: redisKeyv }),
  lock: false,
  // Nothing listens on a fresh free port: every command fails, and the URL's password must not show.
  failing: async () => {
    const keyv = createKeyv(`redis://:Keyv-pw-91@127.0.0.1:${await freePort()}`, {
      throwOnErrors: true,
      throwOnConnectError: true,
      connectionTimeout: 200,
    })
    return { store: keyvStore({ keyv }), secrets: ['Keyv-pw-91'], cleanup: () => keyv.disconnect().catch(() => {}) }
  },
})

describe('keyvStore layout', () => {
  it('keeps { value, expiresAt } as the Keyv value, readable with a plain keyv.get', async () => {
    const keyv = new Keyv()
    const store = keyvStore({ keyv })
    const expiresAt = Date.now() + 7_200_000
    await store.set('uni-id:weixin-mp:wx1:access-token', { value: { access_token: 'AT' }, expiresAt })
    await store.set('uni-id:weixin-mp:wx1:user1:session-key', { value: { session_key: 'sk' }, expiresAt: null })
    expect(await keyv.get('uni-id:weixin-mp:wx1:access-token')).toEqual({ value: { access_token: 'AT' }, expiresAt })
    expect(await keyv.get('uni-id:weixin-mp:wx1:user1:session-key')).toEqual({
      value: { session_key: 'sk' },
      expiresAt: null,
    })
  })

  it('stores Keyv JSON under the storage key in Redis, with a PX ttl for an expiring record and none for "never"', async () => {
    const store = keyvStore({ keyv: redisKeyv })
    const expiring = uniqueKey('access-token')
    const forever = uniqueKey('user1:session-key')
    const expiresAt = Date.now() + 3_600_000
    await store.set(expiring, { value: { access_token: 'AT' }, expiresAt })
    await store.set(forever, { value: { session_key: 'sk' }, expiresAt: null })

    const json = JSON.parse((await redis.get(expiring)) ?? 'null') as { value: StoredRecord; expires: number }
    expect(json.value).toEqual({ value: { access_token: 'AT' }, expiresAt })
    expect(json.expires).toBeGreaterThanOrEqual(expiresAt)
    const pttl = await redis.pttl(expiring)
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(3_600_000)
    expect(await redis.pttl(forever)).toBe(-1)
  })

  it('lets the backing store drop an expired entry by itself', async () => {
    const store = keyvStore({ keyv: redisKeyv })
    const key = uniqueKey('ticket')
    await store.set(key, { value: { ticket: 't' }, expiresAt: Date.now() + 300 })
    expect(await redis.exists(key)).toBe(1)
    await sleep(900)
    expect(await redis.exists(key)).toBe(0)
  })

  it('keeps a never-expiring record although the Keyv instance has a default ttl', async () => {
    const keyv = new Keyv({ ttl: 200 })
    const store = keyvStore({ keyv })
    await store.set('forever', { value: { session_key: 'sk' }, expiresAt: null })
    await sleep(700)
    expect(await store.get('forever')).toEqual({ value: { session_key: 'sk' }, expiresAt: null })
  })

  it('removes the old record when a record arrives already expired', async () => {
    const store = keyvStore({ keyv: new Keyv() })
    await store.set('k', { value: { access_token: 'live' }, expiresAt: null })
    await store.set('k', { value: { access_token: 'dead' }, expiresAt: Date.now() - 1_000 })
    expect(await store.get('k')).toBeUndefined()
  })

  it('hands out copies when Keyv does not serialise: a reader changing its value changes nothing stored', async () => {
    const store = keyvStore({ keyv: new Keyv({ serialize: undefined, deserialize: undefined }) })
    await store.set('k', { value: { access_token: 'original' }, expiresAt: null })
    const first = await store.get('k')
    ;(first?.value as { access_token: string }).access_token = 'changed'
    expect((await store.get('k'))?.value).toEqual({ access_token: 'original' })
  })

  it('leaves the Keyv instance usable after close()', async () => {
    const keyv = new Keyv()
    const store = keyvStore({ keyv })
    await store.close()
    await keyv.set('still', 'open')
    expect(await keyv.get('still')).toBe('open')
  })
})

describe('keyvStore keys (the walk of export / copy / rekey)', () => {
  it('lists the live records of a Map-backed Keyv: not an expired one, not a foreign entry', async () => {
    const keyv = new Keyv()
    const store = keyvStore({ keyv })
    await store.set('uni-id:weixin-mp:wx1:access-token', {
      value: { access_token: 'AT' },
      expiresAt: Date.now() + 60_000,
    })
    await store.set('uni-id:weixin-mp:wx1:o1:session-key', { value: { session_key: 'sk' }, expiresAt: null })
    await keyv.set('uni-id:weixin-mp:wx2:access-token', { value: { access_token: 'old' }, expiresAt: Date.now() - 1 })
    await keyv.set('someone-else', 'not a record')
    const keys: string[] = []
    for await (const key of store.keys!()) keys.push(key)
    expect(keys.sort()).toEqual(['uni-id:weixin-mp:wx1:access-token', 'uni-id:weixin-mp:wx1:o1:session-key'])
  })

  it('lists the records of a Redis-backed Keyv (its namespace taken off)', async () => {
    const store = keyvStore({ keyv: redisKeyv })
    const key = uniqueKey('access-token')
    await store.set(key, { value: { access_token: 'AT' }, expiresAt: Date.now() + 60_000 })
    expect(store.keys).toBeTypeOf('function')
    const keys: string[] = []
    for await (const listed of store.keys!()) keys.push(listed)
    expect(keys).toContain(key)
  })

  it('fails a walk that the backing store breaks with E_KEYV_FAILED', async () => {
    class BrokenMap extends Map<string, unknown> {
      override [Symbol.iterator](): MapIterator<[string, unknown]> {
        throw new Error('disk on fire')
      }
    }
    const store = keyvStore({ keyv: new Keyv({ store: new BrokenMap() }) })
    let error: unknown
    try {
      for await (const _ of store.keys!()) break
    } catch (e) {
      error = e
    }
    expect(isBridgeError(error, 'E_KEYV_FAILED')).toBe(true)
  })

  it('has no keys() where Keyv cannot iterate its store', () => {
    const keyv = new Keyv({
      store: {
        get: async () => undefined,
        set: async () => true,
        delete: async () => true,
        clear: async () => {},
        opts: {},
        on: () => {},
      } as never,
    })
    expect(keyvStore({ keyv }).keys).toBeUndefined()
  })
})

describe('keyvStore expiry', () => {
  it('serves a record up to the ms before its expiresAt and not from that ms on', async () => {
    // Only Date is faked: Keyv and the store read the clock from it, nothing here waits on a timer.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const now = Date.now()
      const store = keyvStore({ keyv: new Keyv() })
      await store.set('uni-id:weixin-mp:wx1:access-token', { value: { access_token: 'AT' }, expiresAt: now + 1_000 })
      vi.setSystemTime(now + 999)
      expect(await store.get('uni-id:weixin-mp:wx1:access-token')).toEqual({
        value: { access_token: 'AT' },
        expiresAt: now + 1_000,
      })
      vi.setSystemTime(now + 1_000)
      expect(await store.get('uni-id:weixin-mp:wx1:access-token')).toBeUndefined()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('keyvStore errors', () => {
  it.each([
    ['undefined', undefined],
    ['a Map', new Map()],
    ['a plain object', { get: 1 }],
    ['a Keyv store adapter', new KeyvRedis('redis://127.0.0.1:9')],
  ])('rejects %s instead of a Keyv with E_INVALID_CONFIG on field keyv', (_, keyv) => {
    let thrown: unknown
    try {
      keyvStore({ keyv: keyv as unknown as Keyv })
    } catch (error) {
      thrown = error
    }
    expect(isBridgeError(thrown, 'E_INVALID_CONFIG')).toBe(true)
    expect((thrown as { field?: string }).field).toBe('keyv')
  })

  it('rejects the old positional form keyvStore(keyv) with E_INVALID_CONFIG on field keyv, saying what to write', () => {
    const keyv = new Keyv()
    expect(() => keyvStore(keyv as never)).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_CONFIG',
        field: 'keyv',
        message: expect.stringContaining('keyvStore({ keyv })'),
      }),
    )
    expect(() => (keyvStore as (...args: unknown[]) => unknown)(keyv, { name: 'old' })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'keyv' }),
    )
  })

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'redis://127.0.0.1'],
  ])('rejects %s as options with E_INVALID_CONFIG on field options', (_, options) => {
    expect(() => keyvStore(options as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'options' }),
    )
  })

  it('rejects an empty name with E_INVALID_CONFIG on field name', () => {
    expect(() => keyvStore({ keyv: new Keyv(), name: '' })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'name' }),
    )
  })

  it('reports an entry that is not a record with E_KEYV_CORRUPT_RECORD, without its content', async () => {
    const keyv = new Keyv()
    const store = keyvStore({ keyv })
    await keyv.set('foreign', 'SECRET-other-app-value')
    await keyv.set('half', { value: { access_token: 'x' } })
    for (const key of ['foreign', 'half']) {
      const error = await store.get(key).then(
        () => undefined,
        (reason: unknown) => reason,
      )
      expect(isBridgeError(error, 'E_KEYV_CORRUPT_RECORD')).toBe(true)
      expect((error as Error).message).not.toContain('SECRET')
    }
  })

  it('throws E_KEYV_WRITE_FAILED when Keyv reports that its store refused the write', async () => {
    // A Map whose set fails, as a full disk or a dropped connection would: Keyv catches it and resolves false.
    const failing = new (class extends Map<string, unknown> {
      override set(): this {
        throw new Error('store is read-only')
      }
    })()
    const store = keyvStore({ keyv: new Keyv({ store: failing }) })
    await expect(store.set('k', { value: { access_token: 'x' }, expiresAt: null })).rejects.toMatchObject({
      code: 'E_KEYV_WRITE_FAILED',
    })
  })

  it('names itself keyv unless told otherwise', () => {
    expect(keyvStore({ keyv: new Keyv() }).name).toBe('keyv')
    expect(keyvStore({ keyv: new Keyv(), name: 'postgres' }).name).toBe('postgres')
  })
})
