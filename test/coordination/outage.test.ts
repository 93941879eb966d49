/**
 * A platform outage: the token endpoint answers 503 for 11 s while 4 processes × 4 callers make business
 * calls. Callers keep the valid token until its (stored) expiry, nobody is handed an expired one, the platform
 * sees few calls while down (each failure is remembered for a capped backoff window), and once it is back the
 * first reads after one backoff window get a new token.
 *
 * Platform life L = 10 s, stored life 9 s (margin L/10), refresh-ahead 3 s, backoff 250 ms doubling to 2 s.
 * Bound on token calls while down, per process: the refresh-ahead and miss attempts each open a window of at
 * least 250, 500, 1000, 2000, 2000, … ms, so over 11 s at most 4 + ⌈11 / 2⌉ = 10 attempts → 40 for 4 processes
 * (without the memory: one per read, thousands).
 */
import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { APPS, coordinationRig, merged, mpKey } from './support.js'

const PROCESSES = 4
const LIFE_S = 10
const STORED_LIFE = 9_000
const BACKOFF = { min: 250, max: 2_000 }
const OUTAGE_FROM = 1_000
const OUTAGE_UNTIL = 12_000
const DURATION = 16_000
/** Scheduling on two busy cores. */
const SLACK_MS = 2_000

describe('outage: the token endpoint answers 503 for 11 s', () => {
  const rig = coordinationRig()

  it('serves the valid token until expiry, never an expired one, calls the platform little while down, recovers', async () => {
    const fake = await rig.startFake({
      apps: APPS,
      tokenLifetimeSeconds: LIFE_S,
      stableRotationSeconds: 3,
      latencyMs: { stable_token: 50 },
    })
    const fleet = await rig.fleetOf(
      PROCESSES,
      fake.url,
      [
        { type: 'memory', maxTtl: 1000 },
        { type: 'redis', url: rig.redis.url },
      ],
      {
        bridge: { refreshAhead: 3_000, failureBackoff: { ...BACKOFF, configuration: 60_000 } },
      },
    )
    const startAt = Date.now() + 300
    const running = fleet.loop({ key: mpKey, callers: 4, durationMs: DURATION, business: true, pauseMs: 20 }, 300)
    await sleep(startAt + OUTAGE_FROM - Date.now())
    const before = fake.calls('stable_token')
    fake.startOutage({ status: 503 }, ['stable_token'])
    await sleep(startAt + OUTAGE_UNTIL - Date.now())
    fake.endOutage()
    const recoveredAt = Date.now()
    const whileDown = fake.calls('stable_token') - before
    const run = merged(await running)
    const figures = {
      reads: run.reads,
      accepted: run.accepted,
      rejected: run.rejected,
      errors: run.errors,
      whileDown,
      before,
      tokensFirstSeenMs: run.tokens.map((t) => t.firstSeenAt - startAt),
      firstErrorMs: run.firstErrorAt && run.firstErrorAt - startAt,
      lastErrorMs: run.lastErrorAt && run.lastErrorAt - startAt,
      events: run.events,
    }
    console.log(`outage ${JSON.stringify(figures)}`)

    // Nobody was handed an expired token: every business call made with a handed-out token was accepted.
    expect(run.rejected).toBe(0)
    expect(run.nulls).toBe(0)
    expect(run.accepted).toBeGreaterThan(500)
    // The first token served until its stored expiry: no caller saw an error before then.
    const first = run.tokens[0]!
    expect(run.firstErrorAt).not.toBeNull()
    expect(run.firstErrorAt!).toBeGreaterThanOrEqual(first.firstSeenAt + STORED_LIFE - 500)
    // Between expiry and recovery callers get the platform's failure (the 503, or its remembered copy), nothing else.
    expect(Object.keys(run.errors)).toEqual(['E_HTTP'])
    expect(whileDown).toBeGreaterThanOrEqual(1)
    expect(whileDown).toBeLessThanOrEqual(PROCESSES * (4 + Math.ceil((OUTAGE_UNTIL - OUTAGE_FROM) / BACKOFF.max)))
    // After recovery: a new token within one backoff window (plus a fetch and generous scheduling slack), and no
    // error after that.
    const second = run.tokens[1]
    expect(second).toBeDefined()
    expect(second!.firstSeenAt).toBeLessThanOrEqual(recoveredAt + BACKOFF.max + SLACK_MS)
    expect(run.lastErrorAt!).toBeLessThanOrEqual(recoveredAt + BACKOFF.max + SLACK_MS)
    expect(run.tokens).toHaveLength(2)
  }, 40_000)
})
