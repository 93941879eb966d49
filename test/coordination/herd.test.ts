/**
 * The herd: four real processes × 250 concurrent callers on a cold key, a 200 ms token endpoint, a shared tier
 * with a lock → one token call for the whole deployment and one token for all 1,000 callers.
 */
import { describe, expect, it } from 'vitest'
import { percentile } from '../../test-support/coordination/fleet.js'
import type { TierSpec } from '../../test-support/coordination/protocol.js'
import { APPS, coordinationRig, h5Key, tally } from './support.js'

const PROCESSES = 4
const CALLERS = 250
const FETCH_LATENCY_MS = 200

describe('herd: 4 processes × 250 callers on a cold key', () => {
  const rig = coordinationRig()

  async function herd(stores: TierSpec[]) {
    const fake = await rig.startFake({ apps: APPS, latencyMs: { token: FETCH_LATENCY_MS } })
    const fleet = await rig.fleetOf(PROCESSES, fake.url, stores)
    const results = await fleet.herd({ key: h5Key, callers: CALLERS, op: 'get' })
    const outcomes = results.flatMap((r) => r.outcomes)
    const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b)
    const { tokens, errors } = tally(outcomes)
    const figures = {
      stores: stores.map((s) => s.type),
      tokenCalls: fake.calls('token'),
      tokens: tokens.size,
      errors: errors.length,
    }
    console.log(
      `herd ${JSON.stringify({ ...figures, p50: Math.round(percentile(ms, 50)), p99: Math.round(percentile(ms, 99)) })}`,
    )
    return {
      outcomes,
      ...tally(outcomes),
      fake,
      tokenCalls: fake.calls('token'),
      fetches: results.map((r) => r.events.fetch ?? 0),
    }
  }

  it('[memory, redis]: exactly one token call, one token for all 1,000 callers', async () => {
    const run = await herd([
      { type: 'memory', maxTtl: 1000 },
      { type: 'redis', url: rig.redis.url },
    ])
    expect(run.outcomes).toHaveLength(PROCESSES * CALLERS)
    expect(run.errors).toEqual([])
    expect(run.tokenCalls).toBe(1)
    expect(run.tokens.size).toBe(1)
    expect(run.fake.isTokenValid([...run.tokens][0]!)).toBe(true)
    // One process fetched; the other three waited on its lock.
    expect(run.fetches.reduce((a, b) => a + b, 0)).toBe(1)
  })

  it('[memory, sqlite file]: exactly one token call, one token for all 1,000 callers, no Redis', async () => {
    const run = await herd([
      { type: 'memory', maxTtl: 1000 },
      { type: 'sqlite', path: rig.dir.file('herd.db') },
    ])
    expect(run.outcomes).toHaveLength(PROCESSES * CALLERS)
    expect(run.errors).toEqual([])
    expect(run.tokenCalls).toBe(1)
    expect(run.tokens.size).toBe(1)
    expect(run.fake.isTokenValid([...run.tokens][0]!)).toBe(true)
    expect(run.fetches.reduce((a, b) => a + b, 0)).toBe(1)
  })
})
