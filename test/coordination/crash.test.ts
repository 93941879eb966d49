/**
 * A lock holder that dies: process A takes the refresh lock and is `kill -9`ed while its token call is in
 * flight. The lock is never released, so the next caller (process B) waits out at most one lock TTL, takes
 * the lock and fetches: it has a token within one lock TTL plus one fetch.
 */
import { DEFAULT_LOCK_TTL } from '@open-bridge/core'
import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TierSpec } from '../../test-support/coordination/protocol.js'
import { APPS, coordinationRig, h5Key, tally } from './support.js'

/** The default lease (3 s): what a crashed holder costs the next caller without any lock option. */
const LOCK_TTL = DEFAULT_LOCK_TTL
const FETCH_MS = 200
/** Scheduling on two busy cores, the waiter's poll interval, process start-up: generous on purpose. */
const SLACK_MS = 2_000

describe('crash: kill -9 the lock holder mid-fetch', () => {
  const rig = coordinationRig()

  async function crash(stores: TierSpec[]) {
    // A's token call hangs long enough to be killed in the middle of it.
    const fake = await rig.startFake({ apps: APPS, latencyMs: { token: 30_000 } })
    const fleet = await rig.fleetOf(2, fake.url, stores, { bridge: { lock: { waitTimeout: 10_000 } } })
    const [a, b] = fleet.workers as [(typeof fleet.workers)[0], (typeof fleet.workers)[0]]
    const aborted = a.herd({ key: h5Key, callers: 3, op: 'get', startAt: 0 }).catch((error: unknown) => error)
    for (let i = 0; i < 200 && fake.calls('token') === 0; i++) await sleep(25)
    expect(fake.calls('token')).toBe(1)
    await a.kill()
    expect(await aborted).toBeInstanceOf(Error)
    fake.setLatency(FETCH_MS, 'token')

    const result = await b.herd({ key: h5Key, callers: 1, op: 'get', startAt: 0 })
    const [outcome] = result.outcomes
    const { tokens, errors } = tally([outcome!])
    expect(errors).toEqual([])
    expect(fake.isTokenValid([...tokens][0]!)).toBe(true)
    expect(fake.calls('token')).toBe(2)
    const figures = {
      stores: stores.map((s) => s.type),
      waitedMs: Math.round(outcome!.ms),
      bound: LOCK_TTL + FETCH_MS,
      events: result.events,
    }
    console.log(`crash ${JSON.stringify(figures)}`)
    expect(outcome!.ms).toBeLessThanOrEqual(LOCK_TTL + FETCH_MS + SLACK_MS)
    // B respected the dead holder's lock rather than fetching at once: it was taken well under a TTL before.
    expect(outcome!.ms).toBeGreaterThanOrEqual(LOCK_TTL / 2)
  }

  it('[memory, redis]: the next caller has a token within one default lease plus one fetch', async () => {
    await crash([
      { type: 'memory', maxTtl: 1000 },
      { type: 'redis', url: rig.redis.url },
    ])
  })

  it('[memory, sqlite file]: the same', async () => {
    await crash([
      { type: 'memory', maxTtl: 1000 },
      { type: 'sqlite', path: rig.dir.file('crash.db') },
    ])
  })
})
