import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
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

/** A pass-through proxy in front of the fake that counts api_authorizer_token calls in flight at once. */
async function countingProxy(
  target: string,
): Promise<{ url: string; maxInFlight: () => number; close: () => Promise<void> }> {
  let inFlight = 0
  let max = 0
  const server: Server = createServer((req, res) => {
    const counted = req.url?.includes('api_authorizer_token') === true
    if (counted) max = Math.max(max, ++inFlight)
    const upstream = httpRequest(
      new URL(req.url!, target),
      { method: req.method, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
        answer.on('end', () => {
          if (counted) inFlight--
        })
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  // Longer than the client's keep-alive: an idle connection closed under a reused one would be the proxy's fault.
  server.keepAliveTimeout = 120_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxInFlight: () => max,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

let dir: string
let fake: FakeWeChat
let proxy: Awaited<ReturnType<typeof countingProxy>>
let bridge: CredentialBridge

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-sweep-'))
  fake = await startFakeWeChat({ components: [COMPONENT], latencyMs: { authorizer_token: 5 } })
  proxy = await countingProxy(fake.url)
  bridge = createBridge({
    stores: [memoryStore(), sqliteStore({ path: join(dir, 'sweep.db') })],
    source: wechatSource({
      baseUrl: proxy.url,
      retry: { retries: 0 },
      openPlatform: { components: [{ componentAppid: COMPONENT.appid, componentSecret: COMPONENT.secret }] },
    }),
  })
  const { ticket } = await fake.pushTicket(COMPONENT.appid)
  await applyComponentPush(bridge, {
    fields: {
      AppId: COMPONENT.appid,
      InfoType: 'component_verify_ticket',
      ComponentVerifyTicket: ticket,
      CreateTime: String(Math.floor(Date.now() / 1000)),
    },
  })
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

describe('the authorizer sweeper', () => {
  it(`keeps ${ACCOUNTS} authorizers' tokens fresh with at most ${CONCURRENCY} platform calls in flight; a second sweep calls nothing`, async () => {
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
    const shortProxy = await countingProxy(shortFake.url)
    const shortBridge = createBridge({
      stores: [memoryStore(), sqliteStore({ path: join(dir, 'short.db') })],
      source: wechatSource({
        baseUrl: shortProxy.url,
        retry: { retries: 0 },
        openPlatform: { components: [{ componentAppid: COMPONENT.appid, componentSecret: COMPONENT.secret }] },
      }),
    })
    const sweeper = createAuthorizerSweeper({
      bridge: shortBridge,
      components: [COMPONENT.appid],
      concurrency: CONCURRENCY,
      refreshBeforeMs: 20 * 60_000, // every 15-minute token is "near its end": each sweep replaces all
      logger: silent,
    })
    try {
      const { ticket } = await shortFake.pushTicket(COMPONENT.appid)
      await applyComponentPush(shortBridge, {
        fields: {
          AppId: COMPONENT.appid,
          InfoType: 'component_verify_ticket',
          ComponentVerifyTicket: ticket,
          CreateTime: String(Math.floor(Date.now() / 1000)),
        },
      })
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
