/**
 * The Open Platform family across real processes, a real Redis (restarted without persistence) and real SQLite:
 * one `api_authorizer_token` for 4 × 250 callers on a cold account, a rotation soak with business calls, and refresh
 * tokens that survive a Redis restart (SQLite) or come back from `api_get_authorizer_list`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, type CredentialBridge, type CredentialStore } from '@open-bridge/core'
import {
  applyComponentPush,
  authorizerRefreshToken,
  componentAccessToken,
  onOpenPlatformEvent,
  wechatSource,
  type OpenPlatformEvent,
} from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat, type FakeWeChatOptions } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { startWorker, type OpWorker } from './open-platform/fleet.js'
import type { HerdResult, OpTier, SoakResult } from './open-platform/protocol.js'

const C = {
  appid: 'wxc0mp0nentpr0c0001',
  secret: 'component-secret-proc-8d7c6b5a',
  token: 'pushTokenProc',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const COMPONENTS = [{ componentAppid: C.appid, componentSecret: C.secret }]
const account = (i: number) => `wxauth0r1zerp${String(i).padStart(5, '0')}`

let redis: RedisServer
let dir: string
const cleanups: (() => Promise<void> | void)[] = []
beforeEach(async () => {
  redis = await startRedisServer()
  dir = mkdtempSync(join(tmpdir(), 'ob-op-proc-'))
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function fakeWith(options: FakeWeChatOptions = {}): Promise<FakeWeChat> {
  const fake = await startFakeWeChat({ components: [C], ...options })
  cleanups.push(() => fake.close())
  return fake
}

function tiers(specs: OpTier[]): CredentialStore[] {
  return specs.map((spec) =>
    spec.type === 'memory'
      ? memoryStore()
      : spec.type === 'redis'
        ? redisStore({ url: spec.url })
        : sqliteStore({ path: spec.path }),
  )
}

function bridgeOn(fake: FakeWeChat, specs: OpTier[], events?: OpenPlatformEvent[]): CredentialBridge {
  const bridge = createBridge({
    stores: tiers(specs),
    source: wechatSource({ baseUrl: fake.url, retry: { retries: 0 }, openPlatform: { components: COMPONENTS } }),
  })
  cleanups.push(() => bridge.close())
  if (events) onOpenPlatformEvent(bridge, (event) => events.push(event))
  return bridge
}

/** A ticket pushed and `count` accounts authorised, applied as the server's event route applies them. */
async function onboard(fake: FakeWeChat, bridge: CredentialBridge, count: number): Promise<void> {
  const { ticket } = await fake.pushTicket(C.appid)
  const now = String(Math.floor(Date.now() / 1000))
  await applyComponentPush(bridge, {
    fields: { AppId: C.appid, InfoType: 'component_verify_ticket', ComponentVerifyTicket: ticket, CreateTime: now },
  })
  for (let i = 0; i < count; i++) {
    const { authorizationCode } = await fake.authorize(C.appid, account(i))
    await applyComponentPush(
      bridge,
      {
        fields: {
          AppId: C.appid,
          InfoType: 'authorized',
          AuthorizerAppid: account(i),
          AuthorizationCode: authorizationCode,
        },
      },
      { platform: 'weixin-h5' },
    )
  }
}

async function workers(count: number, init: Parameters<OpWorker['ask']>[0]): Promise<OpWorker[]> {
  const started = Array.from({ length: count }, () => startWorker())
  cleanups.push(() => Promise.all(started.map((worker) => worker.end())).then(() => undefined))
  await Promise.all(started.map((worker) => worker.ask(init)))
  return started
}

const business = async (fake: FakeWeChat, token: string) =>
  ((await (await fetch(`${fake.url}/fake/business?access_token=${token}`)).json()) as { errcode: number }).errcode

describe('across processes', () => {
  it('4 processes × 250 callers on one cold authorizer: one api_authorizer_token, one api_component_token', async () => {
    // Slow answers widen the window in which every caller is waiting.
    const fake = await fakeWith({ latencyMs: { authorizer_token: 150, component_token: 100 } })
    const specs: OpTier[] = [
      { type: 'memory' },
      { type: 'redis', url: redis.url },
      { type: 'sqlite', path: join(dir, 'herd.db') },
    ]
    const setup = bridgeOn(fake, specs)
    await onboard(fake, setup, 1)
    // Cold: no authorizer token, no component token anywhere (the refresh token and home stay).
    await setup.removeAccessToken({ appid: account(0), platform: 'weixin-h5' })
    await setup.removeAccessToken({ appid: account(0), platform: 'weixin-mp' })
    await setup.credential(componentAccessToken).remove({ componentAppid: C.appid })
    await setup.close()
    fake.resetCalls()
    const fleet = await workers(4, { type: 'init', fakeUrl: fake.url, stores: specs, components: COMPONENTS })
    const startAt = Date.now() + 500
    const results = await Promise.all(
      fleet.map((worker) =>
        worker.ask<HerdResult>({ type: 'herd', appid: account(0), platform: 'weixin-h5', callers: 250, startAt }),
      ),
    )
    expect(results.map((r) => r.failed)).toEqual([0, 0, 0, 0])
    const tokens = new Set(results.flatMap((r) => r.tokens))
    expect(tokens.size).toBe(1)
    expect(fake.calls('authorizer_token')).toBe(1)
    expect(fake.calls('component_token')).toBe(1)
    expect(await business(fake, [...tokens][0]!)).toBe(0)
  })

  it('a rotation soak on authorizer tokens with business calls: none rejected', async () => {
    // Tokens live 20 s (stored 15 s), refreshed 5 s ahead: a rotation every ~10 s per account. A replaced token lives
    // on 10 s, and the one before it dies at the next rotation: the 5 s margins absorb a loaded machine's delays (a
    // business call that reaches the fake seconds late), as WeChat's ~5 min outlive a 60 s margin.
    const fake = await fakeWith({ tokenLifetimeSeconds: 20, graceSeconds: 10 })
    const specs: OpTier[] = [
      { type: 'memory' },
      { type: 'redis', url: redis.url },
      { type: 'sqlite', path: join(dir, 'soak.db') },
    ]
    const setup = bridgeOn(fake, specs)
    await onboard(fake, setup, 3)
    await setup.close()
    fake.resetCalls()
    const fleet = await workers(4, {
      type: 'init',
      fakeUrl: fake.url,
      stores: specs,
      components: COMPONENTS,
      refreshAhead: 5000,
      expiryMarginSeconds: 5,
    })
    const startAt = Date.now() + 500
    const results = await Promise.all(
      fleet.map((worker) =>
        worker.ask<SoakResult>({
          type: 'soak',
          appids: [account(0), account(1), account(2)],
          platform: 'weixin-h5',
          callers: 12,
          durationMs: 24_000,
          pauseMs: 20,
          startAt,
        }),
      ),
    )
    const calls = results.reduce((sum, r) => sum + r.calls, 0)
    const rejected = results.reduce((sum, r) => sum + r.rejected, 0)
    expect(results.flatMap((r) => r.errors)).toEqual([])
    expect(calls).toBeGreaterThan(100)
    expect(rejected, JSON.stringify(results)).toBe(0)
    // Rotations happened (about 24 s / 10 s per account), and were not repeated per process or caller: far below
    // one per process per rotation.
    const rotations = fake.calls('authorizer_token')
    if (process.env.OPEN_BRIDGE_FIGURES) console.log('soak', { calls, rejected, rotations })
    expect(rotations).toBeGreaterThanOrEqual(3)
    expect(rotations).toBeLessThanOrEqual(3 * 8)
  }, 90_000)
})

describe('Redis restarted without persistence', () => {
  it('[memory, redis, sqlite]: every refresh token is still there (SQLite); nothing asked of the list', async () => {
    const fake = await fakeWith()
    const specs: OpTier[] = [
      { type: 'memory' },
      { type: 'redis', url: redis.url },
      { type: 'sqlite', path: join(dir, 'tiers.db') },
    ]
    const setup = bridgeOn(fake, specs)
    await onboard(fake, setup, 6)
    await setup.close()
    await redis.kill()
    await redis.restart()
    fake.resetCalls()
    const events: OpenPlatformEvent[] = []
    const bridge = bridgeOn(fake, specs, events)
    for (let i = 0; i < 6; i++) {
      const held = await bridge
        .credential(authorizerRefreshToken)
        .get({ componentAppid: C.appid, authorizerAppid: account(i) })
      expect(held!.authorizer_refresh_token).toBe(fake.authorizerRefreshToken(C.appid, account(i)))
      await bridge.removeAccessToken({ appid: account(i), platform: 'weixin-h5' })
      expect(
        await business(fake, (await bridge.getAccessToken({ appid: account(i), platform: 'weixin-h5' }))!.access_token),
      ).toBe(0)
    }
    expect(fake.calls('get_authorizer_list')).toBe(0)
    expect(fake.calls('authorizer_token')).toBe(6)
    expect(events.filter((e) => e.type === 'refresh-token-recovered')).toEqual([])
  })

  it('[memory, redis] alone: every refresh token and home is recovered from api_get_authorizer_list before anything fails', async () => {
    const fake = await fakeWith()
    const specs: OpTier[] = [{ type: 'memory' }, { type: 'redis', url: redis.url }]
    const setup = bridgeOn(fake, specs)
    await onboard(fake, setup, 6)
    await setup.close()
    await redis.kill()
    await redis.restart()
    fake.resetCalls()
    const events: OpenPlatformEvent[] = []
    const bridge = bridgeOn(fake, specs, events)
    // The ticket went with Redis too; the next push (every 10 minutes) brings one.
    const { ticket } = await fake.pushTicket(C.appid)
    await applyComponentPush(bridge, {
      fields: {
        AppId: C.appid,
        InfoType: 'component_verify_ticket',
        ComponentVerifyTicket: ticket,
        CreateTime: String(Math.floor(Date.now() / 1000)),
      },
    })
    const tokens = await Promise.all(
      Array.from({ length: 6 }, (_, i) => bridge.getAccessToken({ appid: account(i), platform: 'weixin-h5' })),
    )
    for (const token of tokens) expect(await business(fake, token!.access_token)).toBe(0)
    // One scan answered every account's home and refresh token.
    expect(fake.calls('get_authorizer_list')).toBe(1)
    expect(events.filter((e) => e.type === 'refresh-token-recovered')).toHaveLength(6)
    for (let i = 0; i < 6; i++) {
      const held = await bridge
        .credential(authorizerRefreshToken)
        .get({ componentAppid: C.appid, authorizerAppid: account(i) })
      expect(held!.authorizer_refresh_token).toBe(fake.authorizerRefreshToken(C.appid, account(i)))
    }
  })
})
