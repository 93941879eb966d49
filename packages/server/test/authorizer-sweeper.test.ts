import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import { applyComponentPush, rebuildAuthorizers, wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createServiceMetrics } from '../src/metrics/service-metrics.js'
import { createAuthorizerSweeper } from '../src/scheduler/authorizer-sweeper.js'
import { countingProxy, type CountingProxy } from './counting-proxy.js'

const COMPONENT = {
  appid: 'wxc0mp0nentsweep01',
  secret: 'component-secret-sweep-1a',
  token: 'sweepToken01',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
/** 1,000 in the suite; `OB_SWEEP_ACCOUNTS=10000` for the full-size run (about a minute). */
const ACCOUNTS = Number(process.env.OB_SWEEP_ACCOUNTS ?? 1_000)
const CONCURRENCY = 8
const appidOf = (i: number) => `wxsweep${String(i).padStart(11, '0')}`

/** The proxy counts api_authorizer_token calls in flight at once. */
const authorizerTokenCalls = (path: string) => path.includes('api_authorizer_token')

/** A bridge over [memory, SQLite file in the test's folder] reading the fake (through `baseUrl`) for COMPONENT. */
function componentBridge(baseUrl: string, file: string): CredentialBridge {
  return createBridge({
    stores: [memoryStore(), sqliteStore({ path: join(dir, file) })],
    source: wechatSource({
      baseUrl,
      retry: { retries: 0 },
      openPlatform: { components: [{ componentAppid: COMPONENT.appid, componentSecret: COMPONENT.secret }] },
    }),
  })
}

/** What the event route does with a push: the fake's newest verify ticket for COMPONENT, applied to the bridge. */
async function deliverTicket(platform: FakeWeChat, to: CredentialBridge): Promise<void> {
  const { ticket } = await platform.pushTicket(COMPONENT.appid)
  await applyComponentPush(to, {
    fields: {
      AppId: COMPONENT.appid,
      InfoType: 'component_verify_ticket',
      ComponentVerifyTicket: ticket,
      CreateTime: String(Math.floor(Date.now() / 1000)),
    },
  })
}

let dir: string
let fake: FakeWeChat
let proxy: CountingProxy
let bridge: CredentialBridge

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-sweep-'))
  fake = await startFakeWeChat({ components: [COMPONENT], latencyMs: { authorizer_token: 5 } })
  proxy = await countingProxy(fake.url, authorizerTokenCalls)
  bridge = componentBridge(proxy.url, 'sweep.db')
  await deliverTicket(fake, bridge)
  for (let i = 0; i < ACCOUNTS; i++) await fake.authorize(COMPONENT.appid, appidOf(i))
  // What the pushes would have stored: every account's refresh token and home (from the platform's list).
  await rebuildAuthorizers(bridge, COMPONENT.appid)
})
afterEach(async () => {
  await bridge.close()
  await proxy.close()
  await fake.close()
  await rm(dir, { recursive: true, force: true })
})

const silent = {
  debug() {},
  info() {},
  warn: (d: object, m: string) => process.env.OB_SWEEP_ACCOUNTS && console.log(m, JSON.stringify(d)),
}

/** The shared bridge's sweeper (bound CONCURRENCY) telling the service metrics of each sweep. */
function sweeperWithMetrics() {
  const metrics = createServiceMetrics({
    bridge,
    stores: [],
    credentials: [],
    processMetrics: false,
    components: [COMPONENT.appid],
  })
  const sweeper = createAuthorizerSweeper({
    bridge,
    components: [COMPONENT.appid],
    concurrency: CONCURRENCY,
    logger: silent,
    onSweep: metrics.openPlatform.observeSweep,
  })
  return { metrics, sweeper }
}

describe('the authorizer sweeper', () => {
  it(`keeps ${ACCOUNTS} authorizers' tokens fresh with at most ${CONCURRENCY} platform calls in flight; a second sweep calls nothing`, async () => {
    const { metrics, sweeper } = sweeperWithMetrics()
    try {
      const before = fake.calls('authorizer_token')
      let begun = performance.now()
      await sweeper.sweep()
      const firstMs = performance.now() - begun
      expect(fake.calls('authorizer_token') - before).toBe(ACCOUNTS)
      expect(proxy.maxInFlight()).toBeLessThanOrEqual(CONCURRENCY)
      expect(proxy.maxInFlight()).toBeGreaterThan(1) // concurrent, not one by one
      for (const i of [0, 499, 500, ACCOUNTS - 1]) {
        const token = await bridge.getAccessToken({ appid: appidOf(i), platform: 'weixin-h5' })
        expect(fake.isTokenValid(token!.access_token)).toBe(true)
      }
      const { body } = await metrics.hooks.render()
      expect(body).toContain(`open_bridge_authorizers{component="${COMPONENT.appid}",state="ok"} ${ACCOUNTS}`)
      expect(body).toContain(
        `open_bridge_authorizer_refreshes_total{component="${COMPONENT.appid}",errcode="0"} ${ACCOUNTS}`,
      )

      // Every token is live: the next sweep is memory hits, no platform call.
      const calls = fake.calls('authorizer_token')
      begun = performance.now()
      await sweeper.sweep()
      if (process.env.OB_SWEEP_ACCOUNTS)
        console.log(
          `sweep of ${ACCOUNTS}: first ${Math.round(firstMs)} ms, all live ${Math.round(performance.now() - begun)} ms, max in flight ${proxy.maxInFlight()}`,
        )
      expect(fake.calls('authorizer_token')).toBe(calls)
      expect(sweeper.known(COMPONENT.appid)).toBe(ACCOUNTS)
    } finally {
      sweeper.close()
      metrics.close()
    }
  }, 120_000)

  it('an account whose refresh token died (61023) is counted as needing re-authorisation, and not asked again', async () => {
    const { metrics, sweeper } = sweeperWithMetrics()
    try {
      fake.invalidateAuthorizerRefreshToken(COMPONENT.appid, appidOf(7))
      await sweeper.sweep()
      let { body } = await metrics.hooks.render()
      expect(body).toContain(`open_bridge_authorizers{component="${COMPONENT.appid}",state="ok"} ${ACCOUNTS - 1}`)
      expect(body).toMatch(
        new RegExp(`open_bridge_authorizers\\{component="${COMPONENT.appid}",state="(reauthorize|failed)"\\} 1`),
      )
      expect(body).toContain(`open_bridge_authorizer_refreshes_total{component="${COMPONENT.appid}",errcode="61023"} 1`)
      const calls = fake.calls('authorizer_token')
      await sweeper.sweep()
      expect(fake.calls('authorizer_token')).toBe(calls)
      ;({ body } = await metrics.hooks.render())
      expect(body).toContain(`open_bridge_authorizers{component="${COMPONENT.appid}",state="reauthorize"} 1`)
    } finally {
      sweeper.close()
      metrics.close()
    }
  }, 120_000)
})

describe('the authorizer sweeper near the end of tokens', () => {
  it('replaces every token within refreshBeforeMs of its end itself, awaited: still at most the bound in flight', async () => {
    const shortFake = await startFakeWeChat({
      components: [COMPONENT],
      latencyMs: { authorizer_token: 5 },
      tokenLifetimeSeconds: 900,
    })
    const shortProxy = await countingProxy(shortFake.url, authorizerTokenCalls)
    const shortBridge = componentBridge(shortProxy.url, 'short.db')
    const sweeper = createAuthorizerSweeper({
      bridge: shortBridge,
      components: [COMPONENT.appid],
      concurrency: CONCURRENCY,
      refreshBeforeMs: 20 * 60_000, // every 15-minute token is "near its end": each sweep replaces all
      logger: silent,
    })
    try {
      await deliverTicket(shortFake, shortBridge)
      const accounts = 200
      for (let i = 0; i < accounts; i++) await shortFake.authorize(COMPONENT.appid, appidOf(i))
      await rebuildAuthorizers(shortBridge, COMPONENT.appid)
      await sweeper.sweep() // first: every token fetched (misses)
      const first = await shortBridge.getAccessToken({ appid: appidOf(3), platform: 'weixin-h5' })
      const calls = shortFake.calls('authorizer_token')
      await sweeper.sweep() // second: every token replaced by the sweep
      expect(shortFake.calls('authorizer_token') - calls).toBe(accounts)
      expect(shortProxy.maxInFlight()).toBeLessThanOrEqual(CONCURRENCY)
      const second = await shortBridge.getAccessToken({ appid: appidOf(3), platform: 'weixin-h5' })
      expect(second!.access_token).not.toBe(first!.access_token)
      expect(shortFake.isTokenValid(second!.access_token)).toBe(true)
    } finally {
      sweeper.close()
      await shortBridge.close()
      await shortProxy.close()
      await shortFake.close()
    }
  }, 120_000)
})

describe('the authorizer sweeper and mini programs', () => {
  it('keeps a mini program’s token fresh under weixin-mp (the platform it was read under), never a second one under weixin-h5', async () => {
    const shortFake = await startFakeWeChat({ components: [COMPONENT], tokenLifetimeSeconds: 900 })
    const shortBridge = componentBridge(shortFake.url, 'mp.db')
    const sweeper = createAuthorizerSweeper({
      bridge: shortBridge,
      components: [COMPONENT.appid],
      refreshBeforeMs: 20 * 60_000, // every 15-minute token is near its end: the sweep replaces it
      logger: silent,
    })
    try {
      await deliverTicket(shortFake, shortBridge)
      const miniProgram = appidOf(7)
      await shortFake.authorize(COMPONENT.appid, miniProgram)
      await rebuildAuthorizers(shortBridge, COMPONENT.appid)
      const before = await shortBridge.getAccessToken({ appid: miniProgram, platform: 'weixin-mp' })
      const calls = shortFake.calls('authorizer_token')
      await sweeper.sweep()
      expect(shortFake.calls('authorizer_token') - calls).toBe(1)
      const after = await shortBridge.getAccessToken({ appid: miniProgram, platform: 'weixin-mp' })
      expect(after!.access_token).not.toBe(before!.access_token)
      expect(shortFake.isTokenValid(after!.access_token)).toBe(true)
      expect(
        await shortBridge.getRecord('access_token', { appid: miniProgram, platform: 'weixin-h5' }, () => null),
      ).toBeNull()
    } finally {
      sweeper.close()
      await shortBridge.close()
      await shortFake.close()
    }
  }, 120_000)
})
