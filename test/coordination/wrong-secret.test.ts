/**
 * A wrong secret: 4 processes × 20 callers looping for 5 s. Every call is rejected with the platform's error and
 * the secret is in no message, stack, JSON or inspected error. With a shared tier that holds the refresh lock
 * (Redis, or one SQLite file), the failure is remembered deployment-wide (`failureBackoff.shared`, the default):
 * the holder whose call failed leaves a record of the error in the lock tier for its backoff window (60 s for a
 * configuration error, longer than the run), so the platform sees ONE call in total and the other processes
 * answer with that error (`SharedFailureError`, same code and errcode). Turned off, each process pays its own.
 */
import { describe, expect, it } from 'vitest'
import type { TierSpec } from '../../test-support/coordination/protocol.js'
import { H5, MP, coordinationRig, merged, mpKey } from './support.js'

const PROCESSES = 4
const WRONG = 'wrong-mp-secret-0d3f5b7a9c'

describe('wrong secret: 4 processes × 20 looping callers for 5 s', () => {
  const rig = coordinationRig()

  async function run(shared: TierSpec, bridge: Record<string, unknown> = {}) {
    const fake = await rig.startFake({ apps: [MP, H5], latencyMs: { stable_token: 20 } })
    const fleet = await rig.fleetOf(PROCESSES, fake.url, [{ type: 'memory', maxTtl: 1000 }, shared], {
      apps: [{ platform: 'weixin-mp', appid: MP.appid, secret: WRONG }],
      bridge,
    })
    const forbidden = [WRONG, MP.secret]
    const results = await fleet.loop({
      key: mpKey,
      callers: 20,
      durationMs: 5_000,
      business: false,
      pauseMs: 5,
      forbidden,
    })
    const total = merged(results)
    const calls = fake.calls('stable_token')
    console.log(
      `wrong-credentials run ${JSON.stringify({ tier: shared.type, bridge, reads: total.reads, errors: total.errors, platformCalls: calls, events: total.events })}`,
    )
    // What holds with or without the shared record: every read fails with the platform's error, typed, masked.
    expect(total.reads).toBeGreaterThan(PROCESSES * 20 * 10)
    expect(total.nulls).toBe(0)
    expect(total.errors).toEqual({ E_PLATFORM_API: total.reads })
    expect(new Set(total.errorSamples.map((e) => e.errcode))).toEqual(new Set([40125]))
    expect(total.leaks).toBe(0)
    for (const sample of total.errorSamples) {
      expect(sample.message).not.toContain(WRONG)
      expect(sample.message).not.toContain(MP.secret)
    }
    // Every process answered its own callers (none sat waiting for the others).
    for (const r of results) expect(r.errors.E_PLATFORM_API).toBeGreaterThan(20)
    return { calls, total, results }
  }

  function expectOneCallForTheDeployment({ calls, total }: Awaited<ReturnType<typeof run>>) {
    expect(calls).toBe(1)
    expect(total.events['fetch-error']).toBe(1)
    // The three processes that did not call answered with the record the caller left.
    const names = new Set(total.errorSamples.map((e) => e.name))
    expect(names).toEqual(new Set(['PlatformApiError', 'SharedFailureError']))
  }

  it('[memory, redis]: one platform call for the whole deployment, every caller gets the typed error', async () => {
    expectOneCallForTheDeployment(await run({ type: 'redis', url: rig.redis.url }))
  })

  it('[memory, sqlite file]: one platform call for the whole deployment, no Redis', async () => {
    expectOneCallForTheDeployment(await run({ type: 'sqlite', path: rig.dir.file('wrong-secret.db') }))
  })

  it('failureBackoff.shared: false → each process remembers only its own failure (one call per process)', async () => {
    const { calls, total } = await run({ type: 'redis', url: rig.redis.url }, { failureBackoff: { shared: false } })
    expect(calls).toBe(PROCESSES)
    expect(total.errorSamples.map((e) => e.name)).not.toContain('SharedFailureError')
  })
})
