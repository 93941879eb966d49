/**
 * What the coordination tests share: the app, its keys, and a fleet configured against one fake WeChat.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeWeChat, type FakeWeChat, type FakeWeChatOptions } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { startFleet, type Fleet } from '../../test-support/coordination/fleet.js'
import { startRedisServer, type RedisServer } from '../../test-support/redis-server.js'
import type { CallOutcome, LoopResult, TierSpec, WorkerConfig } from '../../test-support/coordination/protocol.js'

/** An official account (weixin-h5: classic tokens by default) and a mini-program (weixin-mp: stable tokens). */
export const H5 = { appid: 'wxcoordh5000000001', secret: 'h5-coord-secret-7c1e9a5b3d' }
export const MP = { appid: 'wxcoordmp000000001', secret: 'mp-coord-secret-2f8d4b6a0e' }
export const h5Key = { appid: H5.appid, platform: 'weixin-h5' } as const
export const mpKey = { appid: MP.appid, platform: 'weixin-mp' } as const
export const APPS = [
  { platform: 'weixin-h5' as const, ...H5 },
  { platform: 'weixin-mp' as const, ...MP },
]

/** A temp directory for SQLite files; `remove()` deletes it. */
export function tempDir(): { path: string; file(name: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'open-bridge-coord-'))
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** Starts `size` workers sharing `stores`, with the given bridge and source options. */
export function fleetOf(
  size: number,
  fakeUrl: string,
  stores: TierSpec[],
  extra: Pick<WorkerConfig, 'bridge' | 'source'> & { apps?: WorkerConfig['apps'] } = {},
): Promise<Fleet> {
  return startFleet(size, () => ({
    stores,
    apps: extra.apps ?? APPS,
    fakeUrl,
    bridge: extra.bridge,
    source: extra.source,
  }))
}

/** The distinct tokens of some outcomes, and the errors among them. */
export function tally(outcomes: readonly CallOutcome[]): { tokens: Set<string | null>; errors: CallOutcome[] } {
  return {
    tokens: new Set(outcomes.filter((o) => o.error === undefined).map((o) => o.token ?? null)),
    errors: outcomes.filter((o) => o.error !== undefined),
  }
}

/** Adds up the loop results of every worker. */
export function merged(results: readonly LoopResult[]) {
  const errors: Record<string, number> = {}
  const events: Record<string, number> = {}
  for (const r of results) {
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v
    for (const [k, v] of Object.entries(r.events)) events[k] = (events[k] ?? 0) + v
  }
  const firstErrors = results.map((r) => r.firstErrorAt).filter((t): t is number => t !== null)
  const lastErrors = results.map((r) => r.lastErrorAt).filter((t): t is number => t !== null)
  return {
    reads: results.reduce((n, r) => n + r.reads, 0),
    accepted: results.reduce((n, r) => n + r.accepted, 0),
    rejected: results.reduce((n, r) => n + r.rejected, 0),
    nulls: results.reduce((n, r) => n + r.nulls, 0),
    leaks: results.reduce((n, r) => n + r.leaks, 0),
    errors,
    errorCount: Object.values(errors).reduce((n, v) => n + v, 0),
    errorSamples: results.flatMap((r) => r.errorSamples),
    firstErrorAt: firstErrors.length ? Math.min(...firstErrors) : null,
    lastErrorAt: lastErrors.length ? Math.max(...lastErrors) : null,
    /** Each distinct token with the earliest time any worker saw it, in that order. */
    tokens: earliestSightings(results.flatMap((r) => r.tokens)),
    events,
  }
}

/** Each token once, with the earliest time any worker saw it, oldest first. */
function earliestSightings(
  sightings: readonly { token: string; firstSeenAt: number }[],
): { token: string; firstSeenAt: number }[] {
  const earliest = new Map<string, number>()
  for (const { token, firstSeenAt } of sightings)
    earliest.set(token, Math.min(firstSeenAt, earliest.get(token) ?? Infinity))
  return [...earliest]
    .map(([token, firstSeenAt]) => ({ token, firstSeenAt }))
    .sort((a, b) => a.firstSeenAt - b.firstSeenAt)
}

/**
 * What every coordination file sets up and tears down, registered on the calling `describe`: a private
 * redis-server and a temp directory for the file, and the fake WeChat and the fleet a test starts through
 * `startFake` / `fleetOf`, stopped after each test.
 */
export function coordinationRig() {
  let redis: RedisServer | undefined
  let fake: FakeWeChat | undefined
  let fleet: Fleet | undefined
  const dir = tempDir()
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterEach(async () => {
    await fleet?.close()
    await fake?.close()
    fleet = fake = undefined
  })
  afterAll(async () => {
    await redis?.stop()
    dir.remove()
  })
  return {
    dir,
    get redis(): RedisServer {
      if (redis === undefined) throw new Error('the rig starts redis-server in beforeAll: use it inside a test')
      return redis
    },
    async startFake(options: FakeWeChatOptions): Promise<FakeWeChat> {
      fake = await startFakeWeChat(options)
      return fake
    },
    async fleetOf(...args: Parameters<typeof fleetOf>): Promise<Fleet> {
      fleet = await fleetOf(...args)
      return fleet
    },
  }
}
