/**
 * The scheduler's WeCom sweep against the fake WeCom (a real HTTP server, behind a proxy that counts the calls in
 * flight) over real tiers (memory + SQLite): N authorised corps (create_auth pushed through a real suite callback),
 * a self-built app, the provider and two suites (one that never received a suite_ticket).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, type CredentialBridge, type CredentialStore } from '@open-bridge/core'
import {
  suiteCallback,
  wecomAgentTicket,
  wecomCorpToken,
  wecomJsapiTicket,
  wecomSource,
} from '@open-bridge/wechat-fetchers'
import { FAKE_WECOM_ENDPOINTS, startFakeWecom, type FakeWecom } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createServiceMetrics } from '../src/metrics/service-metrics.js'
import { createWecomSweeper, type WecomSweeperOptions } from '../src/scheduler/wecom-sweeper.js'
import { countingProxy, type CountingProxy } from './counting-proxy.js'

/** 200 in the suite; `OB_WECOM_CORPS=3000` for a larger run. */
const CORPS = Number(process.env.OB_WECOM_CORPS ?? 200)
const CONCURRENCY = 8
const SUITE = {
  suiteId: 'wwsuitesweep00001',
  suiteSecret: 'suite-secret-sweep-9a8b7c',
  token: 'SweepToken01',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const DARK = {
  suiteId: 'wwsuitedark000001',
  suiteSecret: 'suite-secret-dark-6d5e4f',
  token: 'DarkToken001',
  encodingAESKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg',
}
const SELF = { corpId: 'wwselfbuilt000001', agentId: '1000002', secret: 'self-built-secret-3c2b1a' }
const PROVIDER = { corpId: 'wwprovider0000001', providerSecret: 'provider-secret-8f7e6d' }
const corpOf = (i: number) => `wwcorp${String(i).padStart(10, '0')}`
const AGENT = '1000001'

let dir: string
let fake: FakeWecom
let proxy: CountingProxy
let callback: Server
let bridge: CredentialBridge
let stores: CredentialStore[]
const warnings: string[] = []
const logger = { debug() {}, info() {}, warn: (_details: object, message: string) => void warnings.push(message) }

const totalCalls = () => FAKE_WECOM_ENDPOINTS.reduce((sum, endpoint) => sum + fake.calls(endpoint), 0)

function sweeperOptions(extra: Partial<WecomSweeperOptions> = {}): WecomSweeperOptions {
  return {
    bridge,
    stores,
    apps: [{ corpId: SELF.corpId, agentId: SELF.agentId }],
    suites: [SUITE.suiteId, DARK.suiteId],
    providerCorpId: PROVIDER.corpId,
    concurrency: CONCURRENCY,
    logger,
    ...extra,
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-wecom-sweep-'))
  fake = await startFakeWecom({
    corps: [{ corpId: SELF.corpId, agents: [{ agentId: SELF.agentId, secret: SELF.secret }] }],
    suites: [SUITE, DARK],
    provider: PROVIDER,
    latencyMs: { get_corp_token: 5 },
  })
  proxy = await countingProxy(fake.url, (path) => path.includes('get_corp_token') || path.includes('gettoken'))
  stores = [memoryStore(), sqliteStore({ path: join(dir, 'sweep.db') })]
  bridge = createBridge({
    stores,
    source: wecomSource({
      baseUrl: proxy.url,
      retry: { retries: 0 },
      corps: [{ corpId: SELF.corpId, agents: [{ agentId: SELF.agentId, secret: SELF.secret }] }],
      suites: [SUITE, DARK].map(({ suiteId, suiteSecret }) => ({ suiteId, suiteSecret })),
      provider: PROVIDER,
    }),
  })
  // The suite's command callback URL, as the service serves it: WeCom's pushes are verified, decrypted, applied.
  const suite = suiteCallback(bridge, {
    suiteId: SUITE.suiteId,
    token: SUITE.token,
    encodingAESKey: SUITE.encodingAESKey,
  })
  callback = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams
      suite.handle(query, Buffer.concat(chunks).toString('utf8')).then(
        () => res.end('success'),
        () => res.writeHead(500).end('failed'),
      )
    })
  })
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve))
  fake.setCallbackUrl(SUITE.suiteId, `http://127.0.0.1:${(callback.address() as AddressInfo).port}/`)
  await fake.pushSuiteTicket(SUITE.suiteId)
  for (let i = 0; i < CORPS; i++) {
    const { reply } = await fake.authorize(SUITE.suiteId, corpOf(i), { agentIds: [AGENT] })
    expect(reply.text).toBe('success')
  }
  // Each create_auth stored the corp token it came with: drop them, as if they had all reached their end.
  for (let i = 0; i < CORPS; i++) await bridge.credential(wecomCorpToken).remove({ corpId: corpOf(i), agentId: AGENT })
  warnings.length = 0
}, 120_000)
afterEach(async () => {
  await bridge.close()
  await new Promise<void>((resolve) => callback.close(() => resolve()))
  await proxy.close()
  await fake.close()
  await rm(dir, { recursive: true, force: true })
})

describe('the WeCom sweep', () => {
  it(`fetches each of ${CORPS} authorised corps' token once, at most ${CONCURRENCY} calls in flight; a second sweep calls nothing`, async () => {
    const metrics = createServiceMetrics({
      bridge,
      stores,
      credentials: [],
      processMetrics: false,
      suites: [SUITE.suiteId, DARK.suiteId],
    })
    const sweeper = createWecomSweeper(sweeperOptions({ onSweep: metrics.wecom.observeSweep }))
    try {
      const corpTokens = fake.calls('get_corp_token')
      const suiteTokens = fake.calls('get_suite_token')
      const begun = performance.now()
      await sweeper.sweep()
      const firstMs = performance.now() - begun
      expect(fake.calls('get_corp_token') - corpTokens).toBe(CORPS)
      expect(fake.calls('gettoken')).toBe(1) // the self-built app
      expect(fake.calls('get_provider_token')).toBe(1)
      expect(fake.calls('get_suite_token')).toBe(suiteTokens) // held since the authorisations
      expect(proxy.maxInFlight()).toBeLessThanOrEqual(CONCURRENCY)
      expect(proxy.maxInFlight()).toBeGreaterThan(1) // concurrent, not one by one
      // No ticket was asked for, so none is fetched (WeCom allows 100 an hour per app).
      expect(fake.calls('get_jsapi_ticket') + fake.calls('ticket/get')).toBe(0)
      expect(sweeper.known(SUITE.suiteId)).toBe(CORPS)
      // The suite that never received a suite_ticket: said, and no suite token asked for it.
      expect(warnings.some((w) => w.includes('no suite_ticket held'))).toBe(true)

      const { body } = await metrics.hooks.render()
      expect(body).toContain(`open_bridge_wecom_corps{suite="${SUITE.suiteId}",state="ok"} ${CORPS}`)
      expect(body).toContain(`open_bridge_wecom_corps{suite="${SUITE.suiteId}",state="failed"} 0`)
      expect(body).toContain('open_bridge_wecom_corps{suite="self-built",state="ok"} 1')
      expect(body).toContain(`open_bridge_wecom_refreshes_total{kind="wecom_corp_token",errcode="0"} ${CORPS + 1}`)
      expect(body).toContain(`open_bridge_wecom_suite_ticket_age_seconds{suite="${DARK.suiteId}"} +Inf`)
      expect(body).toMatch(
        new RegExp(`open_bridge_wecom_suite_ticket_age_seconds\\{suite="${SUITE.suiteId}"\\} \\d+\\n`),
      )

      // Every token is live: the next sweep is memory hits, no platform call at all.
      const calls = totalCalls()
      const again = performance.now()
      await sweeper.sweep()
      if (process.env.OB_WECOM_CORPS)
        console.log(
          `wecom sweep of ${CORPS} corps: first ${Math.round(firstMs)} ms, all live ${Math.round(performance.now() - again)} ms, max in flight ${proxy.maxInFlight()}`,
        )
      expect(totalCalls()).toBe(calls)
      // Said once, not every tick, while the suite stays without a suite_ticket.
      expect(warnings.filter((w) => w.includes('no suite_ticket held'))).toHaveLength(1)
    } finally {
      sweeper.close()
      metrics.close()
    }
  }, 120_000)

  it('replaces tokens near their end itself (once each, within the bound) and a ticket only where one is held', async () => {
    await createWecomSweeper(sweeperOptions()).sweep()
    // Two apps asked for a JS-SDK ticket: the corp's of corp 0, the agent's of corp 1.
    await bridge.credential(wecomJsapiTicket).get({ corpId: corpOf(0), agentId: AGENT })
    await bridge.credential(wecomAgentTicket).get({ corpId: corpOf(1), agentId: AGENT })
    const before = Object.fromEntries(FAKE_WECOM_ENDPOINTS.map((e) => [e, fake.calls(e)]))

    // Everything is "near its end" for a sweep that replaces what has less than 3 h left (a token lives 2 h).
    await createWecomSweeper(sweeperOptions({ refreshBeforeMs: 3 * 3_600_000 })).sweep()
    const delta = (endpoint: (typeof FAKE_WECOM_ENDPOINTS)[number]) => fake.calls(endpoint) - before[endpoint]!
    expect(delta('get_corp_token')).toBe(CORPS)
    expect(delta('gettoken')).toBe(1)
    expect(delta('get_provider_token')).toBe(1)
    expect(delta('get_suite_token')).toBe(1)
    expect(delta('get_jsapi_ticket')).toBe(1)
    expect(delta('ticket/get')).toBe(1)
    expect(proxy.maxInFlight()).toBeLessThanOrEqual(CONCURRENCY)

    // The replacements are live for hours: a sweep with the default window calls nothing.
    const calls = totalCalls()
    await createWecomSweeper(sweeperOptions()).sweep()
    expect(totalCalls()).toBe(calls)
  }, 120_000)

  it('a corp that cancels drops out of the sweep (told by the push, and at the next walk of the tiers)', async () => {
    const sweeper = createWecomSweeper(sweeperOptions())
    const seen: Array<{ suite: string; ok: number; failed: number }> = []
    const counting = createWecomSweeper(sweeperOptions({ onSweep: (suite, counts) => seen.push({ suite, ...counts }) }))
    await sweeper.sweep()
    const { reply } = await fake.cancelAuth(SUITE.suiteId, corpOf(3))
    expect(reply.text).toBe('success')
    sweeper.notePush(SUITE.suiteId, corpOf(3), 'removed')
    expect(sweeper.known(SUITE.suiteId)).toBe(CORPS - 1)
    const calls = fake.calls('get_corp_token')
    await counting.sweep() // a fresh walk of the tiers
    expect(fake.calls('get_corp_token')).toBe(calls)
    expect(counting.known(SUITE.suiteId)).toBe(CORPS - 1)
    expect(seen.find((s) => s.suite === SUITE.suiteId)).toEqual({ suite: SUITE.suiteId, ok: CORPS - 1, failed: 0 })
  }, 120_000)
})
