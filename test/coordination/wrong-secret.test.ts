/**
 * A wrong secret: 4 processes × 20 callers looping for 5 s. Every call is rejected with the platform's error,
 * the platform sees at most 2 calls per process (the failure is remembered for a backoff window, longer for a
 * configuration error), and the secret is in no message, stack, JSON or inspected error.
 */
import { describe, expect, it } from 'vitest'
import { H5, MP, coordinationRig, merged, mpKey } from './support.js'

const PROCESSES = 4
const WRONG = 'wrong-mp-secret-0d3f5b7a9c'

describe('wrong secret: 4 processes × 20 looping callers for 5 s', () => {
  const rig = coordinationRig()

  it('rejects every call with the platform error, costs ≤ 2 platform calls per process, never shows the secret', async () => {
    const fake = await rig.startFake({ apps: [MP, H5], latencyMs: { stable_token: 20 } })
    const fleet = await rig.fleetOf(
      PROCESSES,
      fake.url,
      [
        { type: 'memory', maxTtl: 1000 },
        { type: 'redis', url: rig.redis.url },
      ],
      {
        apps: [{ platform: 'weixin-mp', appid: MP.appid, secret: WRONG }],
      },
    )
    const forbidden = [WRONG, MP.secret]
    const run = merged(
      await fleet.loop({ key: mpKey, callers: 20, durationMs: 5_000, business: false, pauseMs: 5, forbidden }),
    )
    const calls = fake.calls('stable_token')
    console.log(
      `wrong-credentials run ${JSON.stringify({ reads: run.reads, errors: run.errors, platformCalls: calls, events: run.events })}`,
    )

    expect(run.reads).toBeGreaterThan(PROCESSES * 20 * 10)
    expect(run.nulls).toBe(0)
    expect(run.errors).toEqual({ E_PLATFORM_API: run.reads })
    expect(new Set(run.errorSamples.map((e) => e.errcode))).toEqual(new Set([40125]))
    expect(run.leaks).toBe(0)
    for (const sample of run.errorSamples) expect(sample.message).not.toContain(WRONG)
    expect(calls).toBeGreaterThanOrEqual(1)
    expect(calls).toBeLessThanOrEqual(2 * PROCESSES)
  })
})
