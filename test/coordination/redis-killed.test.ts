/**
 * Redis dies during a soak: 4 processes × 4 callers read and use the token for 12 s; Redis is SIGKILLed at
 * 3 s and restarted at 7 s. No caller sees an error (reads fall back to memory and the source, the breaker
 * skips the dead tier), each process opens its breaker and closes it again once Redis is back.
 */
import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { APPS, coordinationRig, merged, mpKey } from './support.js'

const PROCESSES = 4

describe('Redis killed during a soak', () => {
  const rig = coordinationRig()

  it('no caller error; the breaker opens and closes in every process', async () => {
    const fake = await rig.startFake({ apps: APPS, latencyMs: { stable_token: 50 } })
    const fleet = await rig.fleetOf(
      PROCESSES,
      fake.url,
      [
        { type: 'memory', maxTtl: 500 },
        { type: 'redis', url: rig.redis.url },
      ],
      {
        bridge: { breaker: { failures: 3, cooldown: 1_000 } },
      },
    )
    const startAt = Date.now() + 300
    const running = fleet.loop({ key: mpKey, callers: 4, durationMs: 12_000, business: true, pauseMs: 10 }, 300)
    await sleep(startAt + 3_000 - Date.now())
    await rig.redis.kill()
    await sleep(startAt + 7_000 - Date.now())
    await rig.redis.restart()
    const results = await running
    const run = merged(results)
    const figures = {
      reads: run.reads,
      accepted: run.accepted,
      rejected: run.rejected,
      errors: run.errors,
      tokenCalls: fake.calls('stable_token'),
    }
    console.log(`redis killed ${JSON.stringify({ ...figures, events: results.map((r) => r.events) })}`)

    expect(run.errors).toEqual({})
    expect(run.nulls).toBe(0)
    expect(run.rejected).toBe(0)
    expect(run.accepted).toBeGreaterThan(1_000)
    for (const result of results) {
      expect(result.events['breaker-open'] ?? 0).toBeGreaterThanOrEqual(1)
      expect(result.events['breaker-close'] ?? 0).toBeGreaterThanOrEqual(1)
    }
  }, 40_000)
})
