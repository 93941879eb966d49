import { createBridge, isBridgeError, type BridgeEvents, type CredentialStore } from '@open-bridge/core'
import { everyRendering } from '@open-bridge/core/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { redisStore } from '../src/index.js'

/**
 * Real refusals from private redis-servers: a read-only replica, a server with a password, one out of memory.
 * Every error thrown and every `tier-error` event is rendered as a logger would (inspect depth 10, JSON) and
 * searched for the stored token and the password.
 */
const PASSWORD = 'Hunter2-pass-42'
const servers: RedisServer[] = []
let primary: RedisServer
let replica: RedisServer
let guarded: RedisServer
let full: RedisServer

beforeAll(async () => {
  // Diskless: the full sync to the replica must not leave a dump.rdb in the working directory.
  primary = await startRedisServer(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'])
  servers.push(primary)
  // swapdb: the replica loads the sync in memory instead of writing it to a dump.rdb first.
  replica = await startRedisServer(['--replicaof', '127.0.0.1', String(primary.port), '--repl-diskless-load', 'swapdb'])
  servers.push(replica)
  guarded = await startRedisServer(['--requirepass', PASSWORD])
  servers.push(guarded)
  full = await startRedisServer(['--maxmemory', '1', '--maxmemory-policy', 'noeviction'])
  servers.push(full)
})
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
})

const crashes: unknown[] = []
const onCrash = (error: unknown) => crashes.push(error)
beforeAll(() => {
  process.on('uncaughtException', onCrash)
  process.on('unhandledRejection', onCrash)
})
afterAll(() => {
  process.off('uncaughtException', onCrash)
  process.off('unhandledRejection', onCrash)
})
afterEach(() => {
  expect(crashes).toEqual([])
})

let n = 0
const token = () => `TOKEN-${process.pid}-${++n}-${Math.random().toString(36).slice(2)}`

/** A bridge over `store` alone; resolves every error thrown and every tier-error event of one write and one read. */
async function refusalsThroughBridge(
  store: CredentialStore,
  secret: string,
  expiresIn = 3600,
): Promise<{ thrown: unknown[]; events: BridgeEvents['tier-error'][] }> {
  const bridge = createBridge({ stores: [store] })
  const events: BridgeEvents['tier-error'][] = []
  bridge.on('tier-error', (event) => void events.push(event))
  const thrown: unknown[] = []
  const key = { appid: `wx${n}`, platform: 'weixin-mp' } as const
  await bridge
    .setAccessToken(key, { access_token: secret, refresh_token: secret }, expiresIn)
    .catch((error: unknown) => thrown.push(error))
  await bridge.setAccessToken(key, { access_token: secret }).catch((error: unknown) => thrown.push(error))
  await bridge.getAccessToken(key).catch((error: unknown) => thrown.push(error))
  // A direct call: what a caller of the store itself sees.
  await store
    .set('uni-id:weixin-mp:direct:access-token', { value: { access_token: secret }, expiresAt: null })
    .catch((error: unknown) => thrown.push(error))
  await bridge.close()
  return { thrown, events }
}

function expectClean(rendered: unknown[], secrets: string[]): void {
  for (const item of rendered) {
    const shown = everyRendering(item)
    for (const secret of secrets) expect(shown, `leaked in: ${shown.slice(0, 400)}`).not.toContain(secret)
  }
}

describe('redisStore refusals carry no credential', () => {
  it('a read-only replica: READONLY becomes E_REDIS_REFUSED, no token in any error or event', async () => {
    const secret = token()
    const { thrown, events } = await refusalsThroughBridge(redisStore({ url: replica.url }), secret)
    expect(events.filter((e) => e.operation === 'set')).toHaveLength(2)
    for (const event of events.filter((e) => e.operation === 'set')) {
      expect(event.error).toMatchObject({ name: 'RedisStoreError', code: 'E_REDIS_REFUSED' })
      expect((event.error as Error).message).toContain('READONLY')
      expect((event.error as Error & { cause: { code?: string } }).cause).toMatchObject({ name: 'ReplyError' })
    }
    expect(thrown.length).toBeGreaterThanOrEqual(3)
    for (const error of [...thrown, ...events.map((e) => e.error)]) expect(isBridgeError(error)).toBe(true)
    expectClean([...thrown, ...events], [secret])
  })

  it('out of memory (maxmemory 1, noeviction): OOM becomes E_REDIS_REFUSED, no token anywhere', async () => {
    const secret = token()
    const { thrown, events } = await refusalsThroughBridge(redisStore({ url: full.url }), secret)
    const sets = events.filter((e) => e.operation === 'set')
    expect(sets.length).toBe(2)
    for (const event of sets)
      expect(event.error).toMatchObject({ code: 'E_REDIS_REFUSED', message: expect.stringContaining('OOM') })
    expectClean([...thrown, ...events], [secret])
  })

  it.each([
    ['no password (NOAUTH)', () => `redis://127.0.0.1:${guarded.port}`],
    ['a wrong password (WRONGPASS)', () => `redis://:Wrong-${PASSWORD}@127.0.0.1:${guarded.port}`],
    ['a wrong user and password', () => `redis://someone:Wrong-${PASSWORD}@127.0.0.1:${guarded.port}/0`],
  ])('%s: tier-errors say "authentication failed" (E_REDIS_AUTH), no password nor token anywhere', async (_, url) => {
    const secret = token()
    const { thrown, events } = await refusalsThroughBridge(redisStore({ url: url() }), secret)
    expect(events.length).toBeGreaterThanOrEqual(3)
    for (const event of events) {
      expect(event.error).toMatchObject({
        code: 'E_REDIS_AUTH',
        message: expect.stringContaining('authentication failed'),
      })
    }
    expectClean([...thrown, ...events], [secret, PASSWORD, `Wrong-${PASSWORD}`])
  })

  it('an expiry Redis rejects (a life of 1e290 s, which the bridge accepts as finite): E_REDIS_REFUSED, no token', async () => {
    const secret = token()
    const { thrown, events } = await refusalsThroughBridge(redisStore({ url: primary.url }), secret, 1e290)
    const sets = events.filter((e) => e.operation === 'set')
    expect(sets.length).toBeGreaterThanOrEqual(1)
    for (const event of sets) expect(event.error).toMatchObject({ code: 'E_REDIS_REFUSED' })
    expectClean([...thrown, ...events], [secret])
  })

  it('the right password works (the refusals above are about the password)', async () => {
    const store = redisStore({ url: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${guarded.port}` })
    await store.set('uni-id:weixin-mp:ok:access-token', { value: { access_token: 'ok' }, expiresAt: null })
    expect((await store.get('uni-id:weixin-mp:ok:access-token'))?.value).toEqual({ access_token: 'ok' })
    await store.close()
  })

  it('a server that went away: E_REDIS_UNAVAILABLE with the password masked', async () => {
    const gone = await startRedisServer()
    servers.push(gone)
    const store = redisStore({ url: `redis://:${PASSWORD}@127.0.0.1:${gone.port}` })
    await gone.stop()
    const secret = token()
    const error = await store
      .set('uni-id:weixin-mp:gone:access-token', { value: { access_token: secret }, expiresAt: null })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      name: 'RedisStoreError',
      code: expect.stringMatching(/^E_REDIS_(UNAVAILABLE|AUTH)$/),
    })
    expectClean([error], [secret, PASSWORD])
    await store.close()
  })
})

describe('redisStore url and options never crash nor leak', () => {
  it.each([
    ['a non-numeric db', `redis://:${PASSWORD}@127.0.0.1:6379/abc`, 'url.db'],
    ['a db query that is no number', `redis://:${PASSWORD}@127.0.0.1:6379?db=x`, 'url.db'],
    ['a port out of range', `redis://:${PASSWORD}@127.0.0.1:99999`, 'url.port'],
    ['a port that is no number', `redis://:${PASSWORD}@127.0.0.1:port`, 'url.port'],
    ['a bad %-escape in the password', `redis://:${PASSWORD}%ZZ@127.0.0.1:6379`, 'url.password'],
    ['a bad %-escape in the user', `redis://us%E0%A4%A@127.0.0.1:6379`, 'url.username'],
    ['an unknown scheme', `http://:${PASSWORD}@127.0.0.1:6379`, 'url.scheme'],
    ['no scheme', `127.0.0.1:6379`, 'url.scheme'],
  ])('%s: E_INVALID_CONFIG naming the field at creation, without the password', (_, url, field) => {
    let error: unknown
    try {
      redisStore({ url })
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ name: 'RedisStoreError', code: 'E_INVALID_CONFIG', field })
    expectClean([error], [PASSWORD])
  })

  it.each([2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER])(
    'refuses socketTimeout %d, which Node timers cannot hold',
    (socketTimeout) => {
      expect(() => redisStore({ url: primary.url, socketTimeout })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'socketTimeout' }),
      )
    },
  )

  it('accepts what ioredis accepts: IPv6, user and password with escapes, db path and query', async () => {
    for (const url of [
      `redis://[::1]:${primary.port}/2`,
      `redis://user:p%40ss@127.0.0.1:${primary.port}`,
      `redis://127.0.0.1:${primary.port}?db=3`,
      `rediss://127.0.0.1:${primary.port}/`,
      `redis://127.0.0.1`,
    ]) {
      const store = redisStore({ url })
      await store.close()
    }
  })
})
