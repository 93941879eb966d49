/**
 * Fencing the refresh lock: a holder paused past its lease never writes back a token the platform already cut.
 *
 * Process A takes the refresh lock and asks the (classic, weixin-h5) platform for a token; A is SIGSTOPped while
 * the call is in flight — a long GC pause, a blocked event loop, a frozen VM. Its lease lapses; process B takes
 * the lock, fetches a newer token (which cuts A's to the 3 s overlap), writes it and leaves. A is resumed and
 * receives its now cut token. Its write must be refused (`lease-lost`), A must serve B's token, and once the
 * overlap is over no business call of any process may be rejected. The same with the pause during a refresh-ahead
 * and during a compare-and-refresh, on [memory, redis] and on [memory, sqlite file].
 *
 * Nothing here asserts a duration: the lease lapses because B waits for it, and the overlap is waited out with a
 * margin before the business calls are counted (a refused-fence mutant stores A's token for hours, so it fails
 * however late the count starts).
 */
import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import type { BridgeWorker, Fleet } from '../../test-support/coordination/fleet.js'
import type { HerdResult, TierSpec } from '../../test-support/coordination/protocol.js'
import { APPS, coordinationRig, h5Key, merged, tally } from './support.js'

/** Short on purpose, as in the issue: a 1.5 s lease, a platform answering in 1.5 s, a 3 s overlap. */
const LOCK_TTL = 1_500
const TOKEN_LATENCY_MS = 1_500
const GRACE_SECONDS = 3
/** Waited past the end of the overlap before counting business calls: scheduling on two busy cores. */
const OVERLAP_MARGIN_MS = 1_000
const BUSINESS_LOOP_MS = 2_000

type Pair = [BridgeWorker, BridgeWorker]

let db = 0

describe('paused holder: SIGSTOP past the lease while fetching', { timeout: 60_000 }, () => {
  const rig = coordinationRig()
  /** Each test its own Redis database: a token a previous test stored must not answer this one's miss. */
  const freshRedis = (): TierSpec => ({ type: 'redis', url: `${rig.redis.url}/${++db}` })

  async function start(
    stores: TierSpec[],
    extra: { refreshAhead?: number; tokenLifetimeSeconds?: number } = {},
  ): Promise<{ fake: FakeWeChat; fleet: Fleet; a: BridgeWorker; b: BridgeWorker }> {
    const fake = await rig.startFake({
      apps: APPS,
      graceSeconds: GRACE_SECONDS,
      latencyMs: { token: TOKEN_LATENCY_MS },
      ...(extra.tokenLifetimeSeconds === undefined ? {} : { tokenLifetimeSeconds: extra.tokenLifetimeSeconds }),
    })
    const fleet = await rig.fleetOf(2, fake.url, stores, {
      bridge: {
        lock: { ttl: LOCK_TTL, waitTimeout: 30_000 },
        // The pause is part of A's fetch: it must not time out meanwhile.
        fetchTimeout: 30_000,
        refreshAhead: extra.refreshAhead ?? 0,
      },
    })
    const [a, b] = fleet.workers as Pair
    return { fake, fleet, a, b }
  }

  /** Resolves once the fake has received `count` token calls (A's is in flight), polling closely. */
  async function tokenCallArrived(fake: FakeWeChat, count: number): Promise<void> {
    for (let i = 0; i < 2_000 && fake.calls('token') < count; i++) await sleep(5)
    expect(fake.calls('token')).toBe(count)
  }

  /**
   * From the moment B's token exists: wait out the overlap A's token got, then every worker loops with business
   * calls. Every read must hand out B's token (or a later one, with refresh-ahead) and the platform accept it.
   */
  async function afterOverlap(fleet: Fleet, bTokenAt: number) {
    const wait = bTokenAt + GRACE_SECONDS * 1_000 + OVERLAP_MARGIN_MS - Date.now()
    if (wait > 0) await sleep(wait)
    const total = merged(
      await fleet.loop({ key: h5Key, callers: 3, durationMs: BUSINESS_LOOP_MS, business: true, pauseMs: 50 }, 100),
    )
    console.log(
      `paused-holder business ${JSON.stringify({ reads: total.reads, accepted: total.accepted, rejected: total.rejected, tokens: total.tokens.length })}`,
    )
    expect(total.errorCount).toBe(0)
    expect(total.rejected).toBe(0)
    expect(total.accepted).toBeGreaterThan(0)
    return total
  }

  function tokenOf(result: HerdResult): string {
    const { tokens, errors } = tally(result.outcomes)
    expect(errors).toEqual([])
    expect(tokens.size).toBe(1)
    return [...tokens][0]!
  }

  async function missScenario(stores: TierSpec[]) {
    const { fake, fleet, a, b } = await start(stores)
    // A misses, takes the lock and calls the platform; it is paused while the call is in flight.
    const answerOfA = a.herd({ key: h5Key, callers: 3, op: 'get', startAt: 0 })
    await tokenCallArrived(fake, 1)
    a.pause()
    try {
      // B misses too: it waits for A's lease to lapse, takes the lock and fetches a newer token.
      const tokenOfB = tokenOf(await b.herd({ key: h5Key, callers: 3, op: 'get', startAt: 0 }))
      const bTokenAt = Date.now()
      expect(fake.calls('token')).toBe(2)
      a.resume()
      const resultOfA = await answerOfA
      // A's cut token was not written and not handed out: A served B's.
      expect(tokenOf(resultOfA)).toBe(tokenOfB)
      expect(resultOfA.events['lease-lost:stored']).toBe(1)
      expect(fake.tokensIssued()).toBe(2)
      const total = await afterOverlap(fleet, bTokenAt)
      expect(total.tokens.map((t) => t.token)).toEqual([tokenOfB])
      expect(fake.isTokenValid(tokenOfB)).toBe(true)
      // Nobody fetched again: the fence kept the shared record, and the shared record was good.
      expect(fake.calls('token')).toBe(2)
    } finally {
      a.resume()
    }
  }

  it('on a miss, [memory, redis]: A serves B token, and no business call is rejected after the overlap', async () => {
    await missScenario([{ type: 'memory', maxTtl: 200 }, freshRedis()])
  })

  it('on a miss, [memory, sqlite file]: the same', async () => {
    await missScenario([
      { type: 'memory', maxTtl: 200 },
      { type: 'sqlite', path: rig.dir.file('paused-miss.db') },
    ])
  })

  it('during a refresh-ahead, [memory, redis]: A background write is refused, every process keeps B token', async () => {
    // Stored life 19.8 s (22 s from the platform, a tenth off); refreshAhead 15 s: a token is due 4.8 s after it was
    // stamped — later than the overlap, so the next rotation cannot hide a token A would have written.
    const { fake, fleet, a, b } = await start([{ type: 'memory', maxTtl: 200 }, freshRedis()], {
      refreshAhead: 15_000,
      tokenLifetimeSeconds: 22,
    })
    const first = tokenOf(await b.herd({ key: h5Key, callers: 1, op: 'get', startAt: 0 }))
    await sleep(5_000 + 300)
    // A hit that is due: the caller gets `first` at once, and A refreshes in the background; A is paused then.
    expect(tokenOf(await a.herd({ key: h5Key, callers: 1, op: 'get', startAt: 0 }))).toBe(first)
    await tokenCallArrived(fake, 2)
    a.pause()
    try {
      // B's hit is due too: its background refresh waits out A's lease and replaces `first`.
      expect(tokenOf(await b.herd({ key: h5Key, callers: 1, op: 'get', startAt: 0 }))).toBe(first)
      let tokenOfB = first
      for (let i = 0; i < 400 && tokenOfB === first; i++) {
        await sleep(25)
        tokenOfB = tokenOf(await b.herd({ key: h5Key, callers: 1, op: 'get', startAt: 0 }))
      }
      const bTokenAt = Date.now()
      expect(tokenOfB).not.toBe(first)
      expect(fake.calls('token')).toBe(3)
      a.resume()
      // A's refresh ends with its write refused; its hits then serve B's token.
      const events: Record<string, number> = {}
      for (let i = 0; i < 400 && !events['lease-lost']; i++) {
        await sleep(25)
        for (const [name, n] of Object.entries(await a.events())) events[name] = (events[name] ?? 0) + n
      }
      expect(events['lease-lost:stored']).toBe(1)
      expect(tokenOf(await a.herd({ key: h5Key, callers: 1, op: 'get', startAt: 0 }))).toBe(tokenOfB)
      const total = await afterOverlap(fleet, bTokenAt)
      // A's cut token was never handed out after the overlap: B's first, then only a later rotation's.
      expect(total.tokens[0]!.token).toBe(tokenOfB)
    } finally {
      a.resume()
    }
  })

  it('during a compare-and-refresh, [memory, redis]: A serves B token, and no business call is rejected after', async () => {
    const { fake, fleet, a, b } = await start([{ type: 'memory', maxTtl: 200 }, freshRedis()])
    const dead = tokenOf(await b.herd({ key: h5Key, callers: 1, op: 'get', startAt: 0 }))
    expect(fake.revokeToken(dead)).toBe(true)
    // A reports the dead token, takes the lock and asks for a new one; it is paused meanwhile.
    const answerOfA = a.herd({ key: h5Key, callers: 3, op: 'refresh', ifValue: dead, startAt: 0 })
    await tokenCallArrived(fake, 2)
    a.pause()
    try {
      const tokenOfB = tokenOf(await b.herd({ key: h5Key, callers: 3, op: 'refresh', ifValue: dead, startAt: 0 }))
      const bTokenAt = Date.now()
      expect(tokenOfB).not.toBe(dead)
      expect(fake.calls('token')).toBe(3)
      a.resume()
      const resultOfA = await answerOfA
      expect(tokenOf(resultOfA)).toBe(tokenOfB)
      expect(resultOfA.events['lease-lost:stored']).toBe(1)
      const total = await afterOverlap(fleet, bTokenAt)
      expect(total.tokens.map((t) => t.token)).toEqual([tokenOfB])
      expect(fake.isTokenValid(tokenOfB)).toBe(true)
    } finally {
      a.resume()
    }
  })
})
