/**
 * Rotation soaks: four processes × 8 callers make business calls for 60 s with a 20-second token whose
 * predecessor lives on 5 s (classic: every token call rotates; stable: the same token until its last 5 s).
 * Every process refreshes ahead through the shared lock, so nobody knocks out a token the others still use.
 *
 * The bounds, with D = 60 s of calls, platform life L = 20 s, stored life S = L − min(60, L/10) = 18 s (the
 * source's expiry margin) and refresh-ahead R = 4 s:
 * - classic: a rotation starts when a hit finds less than R left, i.e. every S − R = 14 s after the previous
 *   fetch (plus the fetch latency), so token calls ≤ 1 (the cold miss) + ⌈D / (S − R)⌉ = 1 + 5 = 6, and at least
 *   1 + ⌊D / S⌋ = 4 (otherwise the soak did not cross its rotations).
 * - stable: the platform only issues a new token within its last 5 s, i.e. at most every L − 5 = 15 s, so
 *   rotations (new tokens) ≤ 1 + ⌈D / 15⌉ = 5, and token calls ≤ 3 per rotation. R = 4 s deliberately breaks
 *   core's rule `refreshAhead < overlap − expiry margin` (here 5 − 2 = 3 s) by one second: every rotation opens
 *   with about a second in which the platform still hands back the current token, and only the no-fresher
 *   backoff (deployment-wide, ≥ 1 s) keeps those fruitless refreshes to one or two per rotation rather than one
 *   per process or per hit.
 */
import { describe, expect, it } from 'vitest'
import { APPS, coordinationRig, h5Key, merged, mpKey } from './support.js'

const PROCESSES = 4
const CALLERS = 8
const D = 60_000
const LIFE_S = 20
const OVERLAP_S = 5
const STORED_LIFE = (LIFE_S - Math.min(60, LIFE_S / 10)) * 1000
const REFRESH_AHEAD = 4_000

describe('rotation soak: 4 processes × 8 callers, 60 s of business calls, 20 s tokens, 5 s overlap', () => {
  const rig = coordinationRig()

  async function soak(mode: 'classic' | 'stable') {
    const fake = await rig.startFake({
      apps: APPS,
      tokenLifetimeSeconds: LIFE_S,
      graceSeconds: OVERLAP_S,
      stableRotationSeconds: OVERLAP_S,
      latencyMs: { token: 50, stable_token: 50 },
    })
    const fleet = await rig.fleetOf(
      PROCESSES,
      fake.url,
      [
        { type: 'memory', maxTtl: 1000 },
        { type: 'redis', url: rig.redis.url },
      ],
      {
        bridge: { refreshAhead: REFRESH_AHEAD },
        source: { accessTokenMode: { 'weixin-h5': mode, 'weixin-mp': mode } },
      },
    )
    const key = mode === 'classic' ? h5Key : mpKey
    const run = merged(
      await fleet.loop({ key, callers: CALLERS, durationMs: D, business: true, pauseMs: 10, recover: true }),
    )
    const summary = {
      mode,
      reads: run.reads,
      accepted: run.accepted,
      rejected: run.rejected,
      errors: run.errors,
      tokens: run.tokens.length,
      calls: fake.calls(mode === 'classic' ? 'token' : 'stable_token'),
      issued: fake.tokensIssued(),
      events: run.events,
    }
    console.log(`rotation soak ${JSON.stringify(summary)}`)
    return { run, calls: summary.calls, issued: summary.issued }
  }

  it(
    'classic: 0 calls rejected, token calls within 1 + ⌈D / (S − R)⌉',
    async () => {
      const { run, calls } = await soak('classic')
      expect(run.errors).toEqual({})
      expect(run.nulls).toBe(0)
      expect(run.accepted).toBeGreaterThan(1_000)
      expect(run.rejected).toBe(0)
      expect(calls).toBeLessThanOrEqual(1 + Math.ceil(D / (STORED_LIFE - REFRESH_AHEAD)))
      expect(calls).toBeGreaterThanOrEqual(1 + Math.floor(D / STORED_LIFE))
      // Every token the fake issued was handed out (none fetched for nothing).
      expect(run.tokens.length).toBe(calls)
    },
    D + 60_000,
  )

  it(
    'stable: 0 calls rejected, at most 3 token calls per rotation',
    async () => {
      const { run, calls, issued } = await soak('stable')
      expect(run.errors).toEqual({})
      expect(run.nulls).toBe(0)
      expect(run.accepted).toBeGreaterThan(1_000)
      expect(run.rejected).toBe(0)
      expect(issued).toBeGreaterThanOrEqual(1 + Math.floor(D / (LIFE_S * 1000)))
      expect(issued).toBeLessThanOrEqual(1 + Math.ceil(D / ((LIFE_S - OVERLAP_S) * 1000)))
      expect(calls).toBeLessThanOrEqual(3 * issued)
      expect(run.tokens.length).toBe(issued)
    },
    D + 60_000,
  )
})
