/**
 * Compare-and-refresh across processes: 4 processes × 25 callers report the same dead token with
 * `refreshAccessToken(key, { ifValue })` → one token call, and every report answers the same new token.
 */
import { describe, expect, it } from 'vitest'
import { APPS, coordinationRig, h5Key, mpKey, tally } from './support.js'

describe('compare-and-refresh: 4 processes × 25 reports of one dead token', () => {
  const rig = coordinationRig()

  it('makes one token call and answers every report with the same new token', async () => {
    const fake = await rig.startFake({ apps: APPS, latencyMs: { token: 200 } })
    const fleet = await rig.fleetOf(4, fake.url, [
      { type: 'memory', maxTtl: 1000 },
      { type: 'redis', url: rig.redis.url },
    ])
    const first = tally((await fleet.herd({ key: h5Key, callers: 5, op: 'get' })).flatMap((r) => r.outcomes))
    expect(first.errors).toEqual([])
    expect(first.tokens.size).toBe(1)
    const dead = [...first.tokens][0]!
    expect(fake.revokeToken(dead)).toBe(true)
    fake.resetCalls()

    const reports = (await fleet.herd({ key: h5Key, callers: 25, op: 'refresh', ifValue: dead })).flatMap(
      (r) => r.outcomes,
    )
    const { tokens, errors } = tally(reports)
    expect(reports).toHaveLength(100)
    expect(errors).toEqual([])
    expect(fake.calls('token')).toBe(1)
    expect(tokens.size).toBe(1)
    const fresh = [...tokens][0]!
    expect(fresh).not.toBe(dead)
    expect(fake.isTokenValid(fresh!)).toBe(true)

    // A late report of the dead token changes nothing: the stored token is no longer the one reported.
    const late = tally(
      (await fleet.herd({ key: h5Key, callers: 3, op: 'refresh', ifValue: dead })).flatMap((r) => r.outcomes),
    )
    expect([...late.tokens]).toEqual([fresh])
    expect(fake.calls('token')).toBe(1)
  })

  it('stable mode: one forced stable_token call for all reports, the reported token is dead afterwards', async () => {
    // The platform would hand the reported token back unforced (it has hours left): only force_refresh, sent on a
    // confirmed rejection, replaces it. One such call for the deployment, however many report it.
    const fake = await rig.startFake({ apps: APPS, latencyMs: { stable_token: 200 } })
    const fleet = await rig.fleetOf(4, fake.url, [
      { type: 'memory', maxTtl: 1000 },
      { type: 'redis', url: rig.redis.url },
    ])
    const first = tally((await fleet.herd({ key: mpKey, callers: 5, op: 'get' })).flatMap((r) => r.outcomes))
    expect(first.tokens.size).toBe(1)
    const rejected = [...first.tokens][0]!
    fake.resetCalls()

    const reports = (await fleet.herd({ key: mpKey, callers: 25, op: 'refresh', ifValue: rejected })).flatMap(
      (r) => r.outcomes,
    )
    const { tokens, errors } = tally(reports)
    expect(errors).toEqual([])
    expect(fake.calls('stable_token')).toBe(1)
    expect(tokens.size).toBe(1)
    const fresh = [...tokens][0]!
    expect(fresh).not.toBe(rejected)
    expect(fake.isTokenValid(rejected)).toBe(false)
    expect(fake.isTokenValid(fresh!)).toBe(true)
  })
})
