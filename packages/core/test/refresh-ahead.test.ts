import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  DEFAULT_REFRESH_AHEAD,
  memoryStore,
  type BridgeEvents,
  type CredentialBridge,
  type CredentialSource,
  type SourceContext,
} from '@open-bridge/core'
import { chaosStore } from '@open-bridge/core/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }
const storageKey = 'uni-id:weixin-mp:wx123:access-token'

/** A token endpoint: `next()` decides what each call hands out. Records every context it was called with. */
function platform(next: (n: number) => { token: string; expiresIn: number }, latency = 50) {
  const calls: Pick<SourceContext, 'reason' | 'previous'>[] = []
  const source: CredentialSource = {
    async fetch(_kind, _key, ctx) {
      calls.push({ reason: ctx.reason, previous: ctx.previous })
      const { token, expiresIn } = next(calls.length)
      await sleep(latency)
      return { value: { access_token: token } as never, expiresIn }
    },
  }
  return { source, calls }
}

let dir: string
let bridges: CredentialBridge[]
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ob-ahead-'))
  bridges = []
})
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()))
  rmSync(dir, { recursive: true, force: true })
})
function track(bridge: CredentialBridge): CredentialBridge {
  bridges.push(bridge)
  return bridge
}

describe('refresh-ahead', () => {
  it('a hit inside the window gets the current value at once, and one background refresh replaces it', async () => {
    const { source, calls } = platform((n) => ({ token: `new-${n}`, expiresIn: 7200 }), 200)
    const bridge = track(createBridge({ stores: [memoryStore()], source, refreshAhead: 60_000 }))
    const events: BridgeEvents['refresh-ahead'][] = []
    bridge.on('refresh-ahead', (e) => events.push(e))
    await bridge.setAccessToken(key, { access_token: 'old' }, 30) // 30 s left < 60 s

    // 50 hits while the refresh runs: all answered with the old token, one refresh.
    const hits = await Promise.all(Array.from({ length: 50 }, () => bridge.getAccessToken(key)))
    expect(new Set(hits.map((h) => h?.access_token))).toEqual(new Set(['old']))
    for (let i = 0; i < 20; i++) expect((await bridge.getAccessToken(key))?.access_token).toBe('old')
    expect(events).toEqual([{ kind: 'access_token', storageKey, remainingMs: expect.any(Number) }])
    expect(events[0]!.remainingMs).toBeGreaterThan(25_000)
    expect(events[0]!.remainingMs).toBeLessThanOrEqual(30_000)

    await sleep(400)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'new-1' })
    expect(calls).toEqual([
      { reason: 'refresh-ahead', previous: { value: { access_token: 'old' }, expiresAt: expect.any(Number) } },
    ])
  })

  it('a hit in a network tier (no memory tier in front) refreshes ahead too', async () => {
    const { source, calls } = platform((n) => ({ token: `new-${n}`, expiresIn: 7200 }), 20)
    // An asynchronous tier (as Redis is): no getSync, so the hit comes through the read-through path.
    const sqlite = sqliteStore({ path: join(dir, 'only.db') })
    const asyncTier = chaosStore(sqlite, { hide: ['getSync'] }).store
    const bridge = track(createBridge({ stores: [asyncTier], source, refreshAhead: 60_000 }))
    await bridge.setAccessToken(key, { access_token: 'old' }, 30)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'old' })
    await sleep(200)
    expect(calls.map((c) => c.reason)).toEqual(['refresh-ahead'])
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'new-1' })
  })

  it('outside the window no refresh runs; refreshAhead: 0 turns it off', async () => {
    const { source, calls } = platform((n) => ({ token: `new-${n}`, expiresIn: 7200 }))
    const far = track(createBridge({ stores: [memoryStore()], source, refreshAhead: 60_000 }))
    await far.setAccessToken(key, { access_token: 'fresh' }, 120)
    const off = track(createBridge({ stores: [memoryStore()], source, refreshAhead: 0 }))
    await off.setAccessToken(key, { access_token: 'old' }, 5)
    for (let i = 0; i < 10; i++) {
      await far.getAccessToken(key)
      await off.getAccessToken(key)
    }
    await sleep(150)
    expect(calls).toHaveLength(0)
  })

  it('per kind: the default refreshes access_token ahead but not session_key; a per-kind option overrides', async () => {
    expect(DEFAULT_REFRESH_AHEAD).toBe(180_000)
    const { source, calls } = platform((n) => ({ token: `new-${n}`, expiresIn: 7200 }))
    const bridge = track(createBridge({ stores: [memoryStore()], source }))
    const user = { ...key, openid: 'o1' }
    await bridge.setAccessToken(key, { access_token: 'old' }, 170) // 170 s < 180 s default
    await bridge.setSessionKey(user, { session_key: 'sk' }, 10)
    await bridge.getAccessToken(key)
    await bridge.getSessionKey(user)
    await sleep(150)
    expect(calls.map((c) => c.reason)).toEqual(['refresh-ahead'])

    const custom = track(createBridge({ stores: [memoryStore()], source, refreshAhead: { access_token: 10_000 } }))
    await custom.setAccessToken(key, { access_token: 'old' }, 170)
    await custom.getAccessToken(key)
    await sleep(150)
    expect(calls).toHaveLength(1)
  })

  it('a per-call fallback is not called on hits: refresh-ahead goes through the source only', async () => {
    const bridge = track(createBridge({ stores: [memoryStore()], refreshAhead: 60_000 }))
    await bridge.setAccessToken(key, { access_token: 'old' }, 30)
    let fallbackCalls = 0
    for (let i = 0; i < 5; i++) {
      await bridge.getAccessToken(key, async () => {
        fallbackCalls++
        return { value: { access_token: 'x' }, duration: 60 }
      })
    }
    await sleep(100)
    expect(fallbackCalls).toBe(0)
  })

  it('two processes sharing SQLite: one background refresh for both, and both switch to the new token', async () => {
    const { source, calls } = platform((n) => ({ token: `new-${n}`, expiresIn: 7200 }), 200)
    const make = () =>
      track(
        createBridge({
          stores: [memoryStore({ maxTtl: 300 }), sqliteStore({ path: join(dir, 'shared.db') })],
          source,
          refreshAhead: 60_000,
        }),
      )
    const a = make()
    const b = make()
    await a.setAccessToken(key, { access_token: 'old' }, 30)
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).getAccessToken(key)))
    await sleep(800)
    expect(calls.map((c) => c.reason)).toEqual(['refresh-ahead'])
    expect(await a.getAccessToken(key)).toEqual({ access_token: 'new-1' })
    expect(await b.getAccessToken(key)).toEqual({ access_token: 'new-1' })
  })

  it('a refresh whose result is the stored token again (stable mode) is not written and backs off, growing', async () => {
    // The platform keeps handing back the same token: a stable token outside its last 5 minutes.
    const { source, calls } = platform(() => ({ token: 'same', expiresIn: 30 }), 10)
    const bridge = track(
      createBridge({ stores: [memoryStore()], source, refreshAhead: 60_000, failureBackoff: { min: 200, max: 1_000 } }),
    )
    const backoffs: BridgeEvents['backoff'][] = []
    bridge.on('backoff', (e) => backoffs.push(e))
    await bridge.setAccessToken(key, { access_token: 'same' }, 30)

    // Hammer with hits for ~1 s: at most a handful of calls (200 ms, then 400 ms, …), never one per hit.
    const until = Date.now() + 1_000
    let hits = 0
    while (Date.now() < until) {
      expect((await bridge.getAccessToken(key))?.access_token).toBe('same')
      hits++
      if (hits % 50 === 0) await sleep(5)
    }
    expect(hits).toBeGreaterThan(100)
    expect(calls.length).toBeGreaterThanOrEqual(2)
    expect(calls.length).toBeLessThanOrEqual(4)
    expect(backoffs.slice(0, 2).map((e) => [e.cause, e.retryInMs])).toEqual([
      ['no-fresher', 200],
      ['no-fresher', 400],
    ])
  })

  it('the "nothing fresher" backoff is deployment-wide: 4 processes on one SQLite file share one window', async () => {
    const { source, calls } = platform(() => ({ token: 'same', expiresIn: 30 }), 10)
    const processes = Array.from({ length: 4 }, () =>
      track(
        createBridge({
          stores: [memoryStore(), sqliteStore({ path: join(dir, 'shared.db') })],
          source,
          refreshAhead: 60_000,
          failureBackoff: { min: 400, max: 400 },
        }),
      ),
    )
    await processes[0]!.setAccessToken(key, { access_token: 'same' }, 30)
    const until = Date.now() + 1_300
    await Promise.all(
      processes.map(async (bridge) => {
        while (Date.now() < until) {
          expect((await bridge.getAccessToken(key))?.access_token).toBe('same')
          await sleep(5)
        }
      }),
    )
    // One window of 400 ms for the deployment: about 1_300 / 400 + 1 calls. Each process on its own would make
    // about that many each (≈ 16 in all).
    expect(calls.length).toBeGreaterThanOrEqual(2)
    expect(calls.length).toBeLessThanOrEqual(6)
  })

  it('after a fruitless refresh, a fresher token is taken and the backoff starts over', async () => {
    let token = 'same'
    const { source, calls } = platform(() => ({ token, expiresIn: token === 'same' ? 30 : 7200 }), 10)
    const bridge = track(
      createBridge({ stores: [memoryStore()], source, refreshAhead: 60_000, failureBackoff: { min: 100, max: 1_000 } }),
    )
    await bridge.setAccessToken(key, { access_token: 'same' }, 30)
    await bridge.getAccessToken(key)
    await sleep(60)
    expect(calls).toHaveLength(1)
    token = 'rotated' // the platform's last 5 minutes: a new token
    await sleep(100)
    await bridge.getAccessToken(key)
    await sleep(60)
    expect(calls).toHaveLength(2)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'rotated' })
  })

  it('a background refresh that fails keeps the valid token served and retries with capped backoff (events each time)', async () => {
    let failing = true
    let attempts = 0
    const bridge = track(
      createBridge({
        stores: [memoryStore()],
        refreshAhead: 60_000,
        failureBackoff: { min: 100, max: 200 },
        source: {
          async fetch() {
            attempts++
            if (failing) throw Object.assign(new Error('HTTP 503'), { category: 'transient' })
            return { value: { access_token: 'recovered' } as never, expiresIn: 7200 }
          },
        },
      }),
    )
    const errors: BridgeEvents['fetch-error'][] = []
    const backoffs: BridgeEvents['backoff'][] = []
    bridge.on('fetch-error', (e) => errors.push(e))
    bridge.on('backoff', (e) => backoffs.push(e))
    await bridge.setAccessToken(key, { access_token: 'still-valid' }, 30)
    const until = Date.now() + 900
    while (Date.now() < until) {
      expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'still-valid' })
      await sleep(10)
    }
    // 100, 200, 200, 200 …: about 5 attempts in 900 ms, each one an event, never one per hit.
    expect(attempts).toBeGreaterThanOrEqual(3)
    expect(attempts).toBeLessThanOrEqual(7)
    expect(errors).toHaveLength(attempts)
    expect(errors.every((e) => e.reason === 'refresh-ahead')).toBe(true)
    expect(backoffs.map((b) => b.retryInMs).slice(0, 3)).toEqual([100, 200, 200])
    expect(backoffs.every((b) => b.cause === 'error' && b.category === 'transient')).toBe(true)
    failing = false
    await sleep(250)
    await bridge.getAccessToken(key)
    await sleep(50)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'recovered' })
  })

  it('never serves an expired token: once the valid one runs out during an outage, callers get the error', async () => {
    const bridge = track(
      createBridge({
        stores: [memoryStore()],
        refreshAhead: 60_000,
        failureBackoff: { min: 50, max: 50 },
        source: {
          async fetch() {
            throw new Error('HTTP 503')
          },
        },
      }),
    )
    await bridge.setAccessToken(key, { access_token: 'short' }, 0.3)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'short' })
    await sleep(400)
    await expect(bridge.getAccessToken(key)).rejects.toThrow('HTTP 503')
  })
})

describe('refresh-ahead is bounded per bridge (refreshAheadConcurrency)', () => {
  /** A source whose calls wait for `release()`: counts the calls started and the most in flight at once. */
  function gatedSource() {
    let started = 0
    let inFlight = 0
    let most = 0
    let open!: () => void
    let gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const source: CredentialSource = {
      async fetch(_kind, key) {
        started++
        inFlight++
        most = Math.max(most, inFlight)
        await gate
        inFlight--
        return { value: { access_token: `new-${(key as { appid: string }).appid}` } as never, expiresIn: 7200 }
      },
    }
    return {
      source,
      started: () => started,
      most: () => most,
      release: () => {
        open()
        gate = Promise.resolve()
      },
    }
  }
  /** Waits (up to 10 s, for a loaded machine) until `count()` reaches `n`, then a little more to see it go no further. */
  async function reaches(count: () => number, n: number): Promise<number> {
    for (let waited = 0; count() < n && waited < 10_000; waited += 10) await sleep(10)
    await sleep(100)
    return count()
  }
  const apps = Array.from({ length: 60 }, (_, i) => ({
    appid: `wxahead${String(i).padStart(4, '0')}`,
    platform: 'weixin-mp' as const,
  }))

  it('60 keys due at once start 16 background refreshes by default; the others start on a later hit', async () => {
    const gated = gatedSource()
    const bridge = track(createBridge({ stores: [memoryStore()], source: gated.source, refreshAhead: 60_000 }))
    for (const app of apps) await bridge.setAccessToken(app, { access_token: 'old' }, 30)
    // Every hit is answered at once with the live token, whether or not it started a refresh.
    const first = await Promise.all(apps.map((app) => bridge.getAccessToken(app)))
    expect(first.every((hit) => hit?.access_token === 'old')).toBe(true)
    // The refreshes reach the source after their lock step: give them the time, then count.
    expect(await reaches(gated.started, 16)).toBe(16)
    gated.release()
    // Hits keep starting refreshes (16 at a time) until every key holds its new token.
    for (let round = 0; round < 20; round++) {
      const hits = await Promise.all(apps.map((app) => bridge.getAccessToken(app)))
      if (hits.every((hit, i) => hit?.access_token === `new-${apps[i]!.appid}`)) break
      await sleep(20)
    }
    expect(await Promise.all(apps.map((app) => bridge.getAccessToken(app)))).toEqual(
      apps.map((app) => ({ access_token: `new-${app.appid}` })),
    )
    expect(gated.started()).toBe(60)
    expect(gated.most()).toBe(16)
  })

  it('takes its bound from the option, and never holds back a miss', async () => {
    const gated = gatedSource()
    const bridge = track(
      createBridge({ stores: [memoryStore()], source: gated.source, refreshAhead: 60_000, refreshAheadConcurrency: 2 }),
    )
    for (const app of apps.slice(0, 10)) await bridge.setAccessToken(app, { access_token: 'old' }, 30)
    await Promise.all(apps.slice(0, 10).map((app) => bridge.getAccessToken(app)))
    expect(await reaches(gated.started, 2)).toBe(2)
    // Misses (no record at all) go to the source whatever the background refreshes do.
    const misses = Promise.all(apps.slice(10, 15).map((app) => bridge.getAccessToken(app)))
    expect(await reaches(gated.started, 7)).toBe(7)
    gated.release()
    await misses
  })

  it('refuses a bound that is not an integer ≥ 1, naming the option', () => {
    for (const bad of [0, 1.5, -1, '4']) {
      expect(() => createBridge({ stores: [memoryStore()], refreshAheadConcurrency: bad as never })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'refreshAheadConcurrency' }),
      )
    }
  })
})
