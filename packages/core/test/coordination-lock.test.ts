import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { redisStore } from '@open-bridge/adapter-redis'
import {
  createBridge,
  isBridgeError,
  memoryStore,
  type BridgeEvents,
  type CredentialBridge,
  type CredentialSource,
  type CredentialStore,
} from '@open-bridge/core'
import { chaosStore } from '@open-bridge/core/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { setTimeout as sleep } from 'node:timers/promises'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }
const storageKey = 'uni-id:weixin-mp:wx123:access-token'

/** A source like the platform: each call takes `latency` ms and hands out a new token. */
function countingSource(latency = 150): CredentialSource & { calls: number; signals: AbortSignal[] } {
  const source = {
    calls: 0,
    signals: [] as AbortSignal[],
    async fetch(_kind: string, _key: unknown, ctx: { signal: AbortSignal }) {
      source.calls++
      source.signals.push(ctx.signal)
      const n = source.calls
      await sleep(latency)
      return { value: { access_token: `token-${n}` } as never, expiresIn: 7200 }
    },
  }
  return source as never
}

let dir: string
let bridges: CredentialBridge[]
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ob-coord-'))
  bridges = []
})
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()))
  rmSync(dir, { recursive: true, force: true })
})

/** A bridge as one process of a deployment sees it: its own memory tier over a shared SQLite file. */
function processBridge(
  source: CredentialSource,
  options: Parameters<typeof createBridge>[0] extends infer O ? Partial<O> : never = {},
) {
  const bridge = createBridge({
    stores: [memoryStore(), sqliteStore({ path: join(dir, 'shared.db') })],
    source,
    ...options,
  })
  bridges.push(bridge)
  return bridge
}

describe('cross-process single-flight on the SQLite lock', () => {
  it('two bridges × 100 callers on a cold key: one fetch, one token for all', async () => {
    const source = countingSource(200)
    const a = processBridge(source)
    const b = processBridge(source)
    const waits: BridgeEvents['wait'][] = []
    const contention: BridgeEvents['lock-contention'][] = []
    for (const bridge of [a, b]) {
      bridge.on('wait', (e) => waits.push(e))
      bridge.on('lock-contention', (e) => contention.push(e))
    }
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).getAccessToken(key)))
    expect(source.calls).toBe(1)
    expect(new Set(results.map((r) => r?.access_token))).toEqual(new Set(['token-1']))
    // The other process waited on the lock and got the value from the shared tier.
    expect(contention).toEqual([{ kind: 'access_token', storageKey, tier: 'sqlite' }])
    expect(waits).toEqual([{ kind: 'access_token', storageKey, durationMs: expect.any(Number), outcome: 'value' }])
  })

  it('without the lock (a tier with no lock), two processes each fetch: the lock is what makes it one', async () => {
    const source = countingSource(200)
    const shared = sqliteStore({ path: join(dir, 'shared.db') })
    const shared2 = sqliteStore({ path: join(dir, 'shared.db') })
    const noLock = (s: CredentialStore): CredentialStore => chaosStore(s, { hide: ['lock'] }).store
    const a = createBridge({ stores: [memoryStore(), noLock(shared)], source })
    const b = createBridge({ stores: [memoryStore(), noLock(shared2)], source })
    bridges.push(a, b)
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).getAccessToken(key)))
    expect(source.calls).toBe(2)
  })

  it('a holder that never releases (dead process): the next caller gets a token within one lock TTL', async () => {
    const source = countingSource(50)
    const shared = sqliteStore({ path: join(dir, 'shared.db') })
    const bridge = createBridge({ stores: [memoryStore(), shared], source, lock: { ttl: 1_000 } })
    bridges.push(bridge)
    // A process took the lock and died: its token is foreign and nobody will release it.
    expect(await shared.lock!.acquire(storageKey, 'dead-process', 1_000)).toBe(true)
    const waits: BridgeEvents['wait'][] = []
    bridge.on('wait', (e) => waits.push(e))
    const started = Date.now()
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'token-1' })
    const elapsed = Date.now() - started
    expect(source.calls).toBe(1)
    expect(waits.map((w) => w.outcome)).toEqual(['took-lock'])
    // One TTL (1 s) plus one fetch (50 ms) plus a poll interval: a generous bound, not a benchmark.
    expect(elapsed).toBeLessThan(1_000 + 50 + 1_500)
    expect(elapsed).toBeGreaterThanOrEqual(500)
  })

  it('the holder releases its lock when done, also when the fetch fails', async () => {
    const shared = sqliteStore({ path: join(dir, 'shared.db') })
    let fail = true
    const bridge = createBridge({
      stores: [memoryStore(), shared],
      source: {
        async fetch() {
          if (fail) throw new Error('platform down')
          return { value: { access_token: 'ok' } as never, expiresIn: 60 }
        },
      },
    })
    bridges.push(bridge)
    await expect(bridge.getAccessToken(key)).rejects.toThrow('platform down')
    expect(await shared.lock!.acquire(storageKey, 'probe', 1_000)).toBe(true)
    await shared.lock!.release(storageKey, 'probe')
    fail = false
    await bridge.removeAccessToken(key) // also forgets the failure
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'ok' })
    expect(await shared.lock!.acquire(storageKey, 'probe', 1_000)).toBe(true)
  })

  it('the lease is extended while a fetch runs longer than the lock TTL: no second fetch', async () => {
    const source = countingSource(1_200)
    const a = processBridge(source, { lock: { ttl: 450 } })
    const b = processBridge(source, { lock: { ttl: 450 } })
    const first = a.getAccessToken(key)
    await sleep(50)
    const second = b.getAccessToken(key)
    expect((await first)?.access_token).toBe('token-1')
    expect((await second)?.access_token).toBe('token-1')
    expect(source.calls).toBe(1)
  })

  it('a waiter past lock.waitTimeout fails with E_REFRESH_TIMEOUT and a wait event', async () => {
    const source = countingSource(10)
    const shared = sqliteStore({ path: join(dir, 'shared.db') })
    const bridge = createBridge({ stores: [memoryStore(), shared], source, lock: { ttl: 10_000, waitTimeout: 400 } })
    bridges.push(bridge)
    await shared.lock!.acquire(storageKey, 'slow-holder', 10_000)
    const waits: BridgeEvents['wait'][] = []
    bridge.on('wait', (e) => waits.push(e))
    const error = await bridge.getAccessToken(key).catch((e: unknown) => e)
    expect(isBridgeError(error, 'E_REFRESH_TIMEOUT')).toBe(true)
    expect(source.calls).toBe(0)
    expect(waits).toEqual([{ kind: 'access_token', storageKey, durationMs: expect.any(Number), outcome: 'timeout' }])
    expect(waits[0]!.durationMs).toBeGreaterThanOrEqual(400)
    await shared.lock!.release(storageKey, 'slow-holder')
  })

  it('a lock that throws: in-process single-flight still makes one fetch, and a tier-error names the lock', async () => {
    const source = countingSource(100)
    const shared = sqliteStore({ path: join(dir, 'shared.db') })
    const brokenLock = chaosStore(shared, { hide: ['getSync'] })
    brokenLock.chaos.fail('lock.acquire', {
      error: new Error('READONLY You cannot write against a read only replica'),
    })
    const bridge = createBridge({ stores: [memoryStore(), brokenLock.store], source, breaker: false })
    bridges.push(bridge)
    const errors: BridgeEvents['tier-error'][] = []
    bridge.on('tier-error', (e) => errors.push(e))
    const results = await Promise.all(Array.from({ length: 50 }, () => bridge.getAccessToken(key)))
    expect(new Set(results.map((r) => r?.access_token))).toEqual(new Set(['token-1']))
    expect(source.calls).toBe(1)
    expect(errors.map((e) => [e.tier, e.operation, e.storageKey])).toEqual([['sqlite', 'lock', storageKey]])
    expect(brokenLock.chaos.calls['lock.acquire']).toBe(1)
  })
})

describe('fetchTimeout', () => {
  it('a source that hangs: callers get E_FETCH_TIMEOUT, its signal is aborted, the lock is released', async () => {
    let signal: AbortSignal | undefined
    const shared = sqliteStore({ path: join(dir, 'shared.db') })
    const bridge = createBridge({
      stores: [memoryStore(), shared],
      fetchTimeout: 300,
      source: {
        fetch: (_kind, _key, ctx) => {
          signal = ctx.signal
          return new Promise(() => undefined) // never answers
        },
      },
    })
    bridges.push(bridge)
    const errors: BridgeEvents['fetch-error'][] = []
    bridge.on('fetch-error', (e) => errors.push(e))
    const settled = await Promise.all(
      Array.from({ length: 5 }, () => bridge.getAccessToken(key).catch((e: unknown) => e)),
    )
    expect(settled.every((e) => isBridgeError(e, 'E_FETCH_TIMEOUT'))).toBe(true)
    expect(signal?.aborted).toBe(true)
    expect(isBridgeError(signal?.reason, 'E_FETCH_TIMEOUT')).toBe(true)
    expect(errors.map((e) => [e.by, e.reason])).toEqual([['source', 'miss']])
    expect(await shared.lock!.acquire(storageKey, 'probe', 1_000)).toBe(true)
    await shared.lock!.release(storageKey, 'probe')
  })

  it('a fallback gets the signal too, and a late answer is not stored', async () => {
    let signal: AbortSignal | undefined
    const bridge = createBridge({ stores: [memoryStore()], fetchTimeout: 200 })
    bridges.push(bridge)
    const error = await bridge
      .getAccessToken(key, async (_k, ctx) => {
        signal = ctx.signal
        await sleep(500)
        return { value: { access_token: 'late' }, duration: 60 }
      })
      .catch((e: unknown) => e)
    expect(isBridgeError(error, 'E_FETCH_TIMEOUT')).toBe(true)
    expect(signal?.aborted).toBe(true)
    await sleep(500)
    expect(await bridge.getAccessToken(key)).toBeNull()
  })
})

describe('cross-process single-flight on the Redis lock', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('two bridges × 100 callers on a cold key: one fetch, one token for all', async () => {
    const source = countingSource(200)
    const a = createBridge({ stores: [memoryStore(), redisStore({ url: redis.url })], source })
    const b = createBridge({ stores: [memoryStore(), redisStore({ url: redis.url })], source })
    bridges.push(a, b)
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).getAccessToken(key)))
    expect(source.calls).toBe(1)
    expect(new Set(results.map((r) => r?.access_token))).toEqual(new Set(['token-1']))
  })
})
