import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBridge, memoryStore, type CredentialBridge, type CredentialStore } from '@open-bridge/core'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { register as globalRegistry } from 'prom-client'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { logBridgeEvents } from '../src/metrics/bridge-event-log.js'
import { createReadiness } from '../src/metrics/readiness.js'
import { createServiceMetrics, type ServiceMetrics } from '../src/metrics/service-metrics.js'

const mp = { appid: 'wx1234567890abcdef', secret: 'METRICS-mp-secret-71aa' }
const other = { appid: 'wx0000000000000bad', secret: 'METRICS-other-secret-55bb' }

/** A tier that always throws, as a Redis that is down does. */
const brokenTier = (): CredentialStore => ({
  name: 'broken',
  get: async () => {
    throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })
  },
  set: async () => {
    throw new Error('down')
  },
  delete: async () => {
    throw new Error('down')
  },
  close: async () => {},
})

let dir: string
let fake: FakeWeChat
let bridge: CredentialBridge
let stores: CredentialStore[]
let metrics: ServiceMetrics

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-metrics-'))
  fake = await startFakeWeChat({ apps: [mp, other] })
  stores = [memoryStore(), brokenTier(), sqliteStore({ path: join(dir, 'creds.db') })]
  bridge = createBridge({
    stores,
    apps: [
      { platform: 'weixin-mp', ...mp },
      { platform: 'weixin-app', ...other },
    ],
    source: wechatSource({ baseUrl: fake.url, retry: { retries: 0 } }),
  })
  metrics = createServiceMetrics({
    bridge,
    stores,
    credentials: [
      { platform: 'weixin-mp', appid: mp.appid, kind: 'access_token' },
      { platform: 'weixin-app', appid: other.appid, kind: 'access_token' },
    ],
  })
})
afterEach(async () => {
  metrics.close()
  await bridge.close()
  await fake.close()
  await rm(dir, { recursive: true, force: true })
})

/** The value of one series in the exposition text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('metrics', () => {
  it('after fetches: upstream results and errcodes, tier errors, request latency, life left — in Prometheus text', async () => {
    const token = await bridge.getAccessToken({ appid: mp.appid, platform: 'weixin-mp' })
    fake.inject('stable_token', { errcode: 40013, errmsg: 'invalid appid' }, 1)
    await expect(bridge.getAccessToken({ appid: other.appid, platform: 'weixin-app' })).rejects.toMatchObject({
      errcode: 40013,
    })
    metrics.hooks.observeRequest?.('/getAccessToken', 200, 0.0021)
    metrics.hooks.observeRequest?.('unmatched', 404, 0.0004)
    metrics.observeRun({ platform: 'weixin-mp', appid: mp.appid, task: 'accessToken' }, 'ok', 0.01)

    const { contentType, body } = await metrics.hooks.render()
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(
      sample(
        body,
        'open_bridge_upstream_fetches_total{platform="weixin-mp",kind="access_token",by="source",result="ok"}',
      ),
    ).toBe(1)
    expect(
      sample(
        body,
        'open_bridge_upstream_fetches_total{platform="weixin-app",kind="access_token",by="source",result="error"}',
      ),
    ).toBe(1)
    expect(
      sample(body, 'open_bridge_upstream_errcodes_total{platform="weixin-app",kind="access_token",errcode="40013"}'),
    ).toBe(1)
    expect(
      sample(
        body,
        'open_bridge_upstream_fetch_duration_seconds_count{platform="weixin-mp",kind="access_token",result="ok"}',
      ),
    ).toBe(1)
    expect(sample(body, 'open_bridge_tier_errors_total{tier="broken",operation="get"}')).toBeGreaterThanOrEqual(1)
    expect(sample(body, 'open_bridge_tier_breaker_open{tier="sqlite"}')).toBe(0)
    expect(
      sample(body, 'open_bridge_http_request_duration_seconds_count{route="/getAccessToken",status_code="200"}'),
    ).toBe(1)
    expect(
      sample(
        body,
        'open_bridge_http_request_duration_seconds_bucket{le="0.0025",route="/getAccessToken",status_code="200"}',
      ),
    ).toBe(1)
    expect(sample(body, 'open_bridge_http_request_duration_seconds_count{route="unmatched",status_code="404"}')).toBe(1)
    expect(
      sample(
        body,
        'open_bridge_scheduled_runs_total{platform="weixin-mp",appid="wx1234567890abcdef",task="accessToken",outcome="ok"}',
      ),
    ).toBe(1)
    // 7200 s from the fake, less the source's expiry margin (60 s): a little under 7140 by now.
    const left = sample(
      body,
      'open_bridge_credential_ttl_seconds{platform="weixin-mp",appid="wx1234567890abcdef",kind="access_token"}',
    )
    expect(left).toBeGreaterThan(7100)
    expect(left).toBeLessThanOrEqual(7140)
    // Nothing held for the app whose fetch failed: no series rather than a made-up number.
    expect(body).not.toContain(`open_bridge_credential_ttl_seconds{platform="weixin-app"`)
    expect(body).toContain('process_cpu_user_seconds_total')
    // No credential, no secret.
    for (const secret of [token!.access_token, mp.secret, other.secret]) expect(body).not.toContain(secret)
  })

  it('a credential that never expires reads +Inf; life left follows the nearest tier holding it', async () => {
    await bridge.setAccessToken({ appid: mp.appid, platform: 'weixin-mp' }, { access_token: 'forever' }, -1)
    const { body } = await metrics.hooks.render()
    expect(body).toContain(
      'open_bridge_credential_ttl_seconds{platform="weixin-mp",appid="wx1234567890abcdef",kind="access_token"} +Inf',
    )
    await bridge.setAccessToken({ appid: mp.appid, platform: 'weixin-mp' }, { access_token: 'short' }, 100)
    const after = await metrics.hooks.render()
    expect(
      sample(
        after.body,
        'open_bridge_credential_ttl_seconds{platform="weixin-mp",appid="wx1234567890abcdef",kind="access_token"}',
      ),
    ).toBeLessThanOrEqual(100)
    expect(fake.calls('stable_token')).toBe(0) // a scrape reads the tiers, never through the bridge: it fetches nothing
  })

  it("uses a registry of its own: nothing in prom-client's global one, and two services side by side", async () => {
    const second = createServiceMetrics({ bridge, stores, credentials: [] })
    second.close()
    expect(await globalRegistry.metrics()).not.toContain('open_bridge_')
  })
})

describe('readiness', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(() => redis.stop())

  it('probes each tier with one read: state and latency; not ready when no shared tier answers', async () => {
    const tiers = [memoryStore(), redisStore({ url: redis.url }), sqliteStore({ path: join(dir, 'ready.db') })]
    try {
      const readiness = createReadiness(
        tiers.map((store, i) => ({ store, inProcess: i === 0 })),
        metrics.breakers,
      )
      const up = await readiness()
      expect(up.ready).toBe(true)
      expect(up.tiers.map((t) => [t.name, t.state])).toEqual([
        ['memory', 'up'],
        ['redis', 'up'],
        ['sqlite', 'up'],
      ])
      expect(up.tiers.every((t) => typeof t.latencyMs === 'number' && t.error === undefined)).toBe(true)

      await redis.kill()
      const degraded = await readiness()
      expect(degraded.tiers[1]).toMatchObject({ name: 'redis', state: 'down' })
      expect(degraded.tiers[1]!.error).toMatch(/^[A-Za-z_]+$/) // a code or class name, never a driver's message
      expect(degraded.ready).toBe(true) // sqlite still answers

      const onlyRedis = createReadiness(
        [
          { store: tiers[0]!, inProcess: true },
          { store: tiers[1]!, inProcess: false },
        ],
        undefined,
      )
      expect((await onlyRedis()).ready).toBe(false)
      await redis.restart()
    } finally {
      await Promise.all(tiers.map((t) => t.close()))
    }
  })

  it('a tier that hangs is reported down after the probe timeout', async () => {
    const hanging: CredentialStore = { ...brokenTier(), name: 'hanging', get: () => new Promise(() => {}) }
    const report = await createReadiness([{ store: hanging, inProcess: false }], undefined, 200)()
    expect(report).toEqual({
      ready: false,
      tiers: [{ name: 'hanging', state: 'down', latencyMs: expect.any(Number), error: 'E_PROBE_TIMEOUT' }],
    })
  })
})

describe('bridge trouble in the log', () => {
  it('a failing tier is logged at its first error, then at most once per interval with the count in between', async () => {
    const lines: Array<{ details: Record<string, unknown>; message: string }> = []
    const push = (details: object, message: string) =>
      void lines.push({ details: details as Record<string, unknown>, message })
    // The breaker would skip the tier after 3 failures; this test is about the log's throttle, so it is off.
    const bridge = createBridge({
      stores: [memoryStore(), brokenTier(), sqliteStore({ path: join(dir, 'throttle.db') })],
      breaker: false,
    })
    onTestFinished(() => bridge.close())
    const stop = logBridgeEvents(bridge, { debug: push, info: push, warn: push }, 300)
    const read = () => bridge.getAccessToken({ appid: 'wx-none', platform: 'weixin-mp' }, async () => null)
    for (let i = 0; i < 5; i++) await read()
    expect(lines).toEqual([
      {
        details: { tier: 'broken', operation: 'get', error: 'ECONNREFUSED' },
        message: 'tier broken failed; the bridge goes on with the other tiers',
      },
    ])
    await new Promise((resolve) => setTimeout(resolve, 350))
    await read()
    // A miss asks the tier once: the fill's re-read under the lock starts at the lock tier (sqlite), below it.
    expect(lines[1]!.details).toEqual({
      tier: 'broken',
      operation: 'get',
      error: 'ECONNREFUSED',
      errorsSinceLastLine: 5,
    })
    stop()
    await new Promise((resolve) => setTimeout(resolve, 350))
    await read()
    expect(lines).toHaveLength(2)
  })

  it('with the default breaker, the tier is logged once, then its breaker opening, and nothing while it is skipped', async () => {
    const lines: Array<{ details: Record<string, unknown>; message: string }> = []
    const push = (details: object, message: string) =>
      void lines.push({ details: details as Record<string, unknown>, message })
    const stop = logBridgeEvents(bridge, { debug: push, info: push, warn: push }, 300)
    for (let i = 0; i < 10; i++)
      await bridge.getAccessToken({ appid: 'wx-none', platform: 'weixin-mp' }, async () => null)
    stop()
    expect(lines.map((line) => line.message)).toEqual([
      'tier broken failed; the bridge goes on with the other tiers',
      'tier breaker open: the tier is skipped for a while',
    ])
    expect(lines[1]!.details).toEqual({ tier: 'broken' })
  })
})
