import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeWeChat, startFakeWecom, type FakeWeChat, type FakeWecom } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { startServer, type RunningServer } from '../src/serve.js'

/**
 * The shipped dashboard and alert rules against a real Prometheus (Debian's `prometheus` package; `.ci/run` installs
 * it) scraping a real `open-bridge serve` every second: every dashboard query returns data, the rules load, and the
 * configuration and IP alerts fire from what the service really exports. A missing binary fails the test, loudly.
 */
const DIR = fileURLToPath(new URL('../observability/', import.meta.url))
const dashboard = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>
}

const mp = { appid: 'wxprom000000000001', secret: 'PROM-mp-secret-9d8c7b' }
const h5 = { appid: 'wxprom000000000002', secret: 'PROM-h5-secret-6a5b4c' }
const app = { appid: 'wxprom000000000003', secret: 'PROM-app-secret-3e2f1a' }
const component = {
  appid: 'wxpromc0mp0nent001',
  secret: 'PROM-component-secret-77aa',
  token: 'promPushToken1',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}

/** A WeCom suite (its ticket-age panel and alerts) and a self-built app (the corps panel). */
const suite = {
  suiteId: 'wwpromsuite000001',
  suiteSecret: 'PROM-suite-secret-5c4d3e',
  token: 'promSuiteToken1',
  encodingAESKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg',
}
const corpApp = { corpId: 'wwpromcorp0000001', agentId: 1000002, secret: 'PROM-corp-app-secret-2b1a' }

let dir: string
let fake: FakeWeChat
let fakeWecom: FakeWecom
let redis: RedisServer
let server: RunningServer
let prometheus: ChildProcess | undefined
let promUrl: string
const stopPrometheus = () => {
  if (prometheus !== undefined && prometheus.exitCode === null && prometheus.signalCode === null)
    prometheus.kill('SIGKILL')
}

async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)
  const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown } }
  if (body.status !== 'success') throw new Error(`query failed: ${expr}: ${body.error}`)
  return body.data!.result as Array<{ metric: Record<string, string>; value: [number, string] }>
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await probe().catch(() => undefined)
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-prom-'))
  redis = await startRedisServer()
  fake = await startFakeWeChat({ apps: [mp, h5, app], clientIp: '203.0.113.50', components: [component] })
  // weixin-h5's ticket endpoint refuses the server's IP (an IP alert); weixin-app is configured with a wrong
  // secret (a configuration alert); weixin-mp works.
  fake.refuseIp(40164, { endpoints: ['getticket'] })
  fakeWecom = await startFakeWecom({
    corps: [{ corpId: corpApp.corpId, agents: [{ agentId: corpApp.agentId, secret: corpApp.secret }] }],
    suites: [suite],
  })
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory', redis.url, 'sqlite:./prom.db'],
      apps: [
        { platform: 'weixin-mp', appid: mp.appid, secret: { env: 'PROM_MP' } },
        { platform: 'weixin-h5', appid: h5.appid, secret: { env: 'PROM_H5' }, tasks: ['accessToken', 'ticket'] },
        { platform: 'weixin-app', appid: app.appid, secret: 'PROM-wrong-secret-0000' },
      ],
      schedule: { cron: '* * * * * *', jitterMs: 0 },
      // Short back-off, so each scheduled run meets the platform again: the error counters keep rising.
      refresh: { failureBackoff: { min: 100, max: 200, configuration: 200 } },
      wechat: { baseUrl: fake.url, retry: { retries: 0 } },
      server: { port: 0 },
      // A third-party platform: its ticket-age and authorizer panels must show data too.
      openPlatform: [
        {
          componentAppid: component.appid,
          componentSecret: component.secret,
          token: component.token,
          encodingAESKey: component.encodingAESKey,
        },
      ],
      // WeCom: a suite whose ticket is pushed (its age, pushes), a self-built app the sweep keeps fresh.
      wecom: {
        baseUrl: fakeWecom.url,
        apps: [corpApp],
        suites: [suite],
      },
    }),
  )
  server = await startServer({
    cwd: dir,
    env: { PROM_MP: mp.secret, PROM_H5: h5.secret },
    logStream: { write() {} },
  })
  for (let i = 0; i < 5; i++) {
    await fetch(`${server.url}/healthz`)
    await fetch(`${server.url}/getAccessToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: mp.appid, platform: 'weixin-mp' }),
    })
  }
  await fake.pushTicket(component.appid, `${server.url}/open-platform/${component.appid}/events`)
  fakeWecom.setCallbackUrl(suite.suiteId, `${server.url}/wecom/suites/${suite.suiteId}/callback`)
  await fakeWecom.pushSuiteTicket(suite.suiteId)
  // A tier down: Redis goes away, its operations fail (tier errors) and its breaker opens.
  await redis.kill()

  const port = await freePort()
  promUrl = `http://127.0.0.1:${port}`
  const target = new URL(server.url).host
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${JSON.stringify(join(DIR, 'alerts.yml'))}`,
      'scrape_configs:',
      '  - job_name: open-bridge',
      '    static_configs:',
      `      - targets: [${JSON.stringify(target)}]`,
      '',
    ].join('\n'),
  )
  process.once('exit', stopPrometheus) // even if the run is cut short
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  prometheus.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-4000)))
  const started = await new Promise<Error | undefined>((resolve) => {
    prometheus!.once('error', resolve)
    prometheus!.once('spawn', () => resolve(undefined))
  })
  if (started !== undefined)
    throw new Error(
      `prometheus could not be started (${started.message}): install it with \`apt-get install -y prometheus\``,
    )
  await until('Prometheus to be ready', async () => {
    if (prometheus!.exitCode !== null) throw new Error(`prometheus exited ${prometheus!.exitCode}: ${log}`)
    return (await fetch(`${promUrl}/-/ready`)).ok ? true : undefined
  })
}, 150_000)

afterAll(async () => {
  if (prometheus !== undefined && prometheus.exitCode === null && prometheus.signalCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve))
    prometheus.kill('SIGTERM')
    const timer = setTimeout(stopPrometheus, 10_000)
    await exited
    clearTimeout(timer)
  }
  process.removeListener('exit', stopPrometheus)
  await server?.close()
  await fake?.close()
  await fakeWecom?.close()
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
}, 60_000)

describe('the shipped dashboard and alert rules against a real Prometheus scraping a real server', {
  timeout: 150_000,
}, () => {
  it('Prometheus loads alerts.yml: every rule healthy', async () => {
    const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }
    }
    const rules = body.data.groups.flatMap((group) => group.rules)
    expect(rules.length).toBe(17)
    await until('every rule evaluated', async () => {
      const again = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as typeof body
      const all = again.data.groups.flatMap((group) => group.rules)
      return all.every((rule) => rule.health === 'ok') ? true : undefined
    })
  })

  it('every dashboard query returns data', async () => {
    const exprs = dashboard.panels.flatMap((panel) =>
      panel.targets.map((target) => ({ title: panel.title, expr: target.expr.replaceAll('$instance', '.*') })),
    )
    expect(exprs.length).toBe(dashboard.panels.length)
    let first = true
    for (const { title, expr } of exprs) {
      // The first waits for Prometheus' first scrapes; once data flows, a query without any is broken.
      const result = await until(
        `data for "${title}": ${expr}`,
        async () => {
          const found = await query(expr)
          return found.length > 0 ? found : undefined
        },
        first ? 90_000 : 20_000,
      )
      first = false
      expect(result.length, title).toBeGreaterThan(0)
    }
    // What the panels show is what happened: the IP refusal and the wrong secret, the tier that went down.
    const categories = await query('sum by (platform, category) (increase(open_bridge_upstream_errors_total[1h])) > 0')
    const seen = categories.map((r) => `${r.metric.platform} ${r.metric.category}`)
    expect(seen).toEqual(expect.arrayContaining(['weixin-h5 ip-whitelist', 'weixin-app config']))
    expect(await query('sum by (tier) (open_bridge_tier_errors_total{tier="redis"}) > 0')).toHaveLength(1)
    // The suite's pushed ticket is young (no WeCom alert), and the sweep holds the self-built app's token.
    const [age] = await query(`open_bridge_wecom_suite_ticket_age_seconds{suite="${suite.suiteId}"}`)
    expect(Number(age!.value[1])).toBeLessThan(600)
    expect(await query('open_bridge_wecom_corps{suite="self-built",state="ok"} == 1')).toHaveLength(1)
    expect(
      await query(
        `open_bridge_wecom_suite_pushes_total{suite="${suite.suiteId}",info_type="suite_ticket",result="stored"} > 0`,
      ),
    ).toHaveLength(1)
  })

  it('the configuration and IP alerts fire from what the service exports (they page at once)', async () => {
    const firing = await until('OpenBridgeUpstreamConfigError and OpenBridgeUpstreamIpRefused firing', async () => {
      const alerts = await query('ALERTS{alertstate="firing"}')
      const names = alerts.map((a) => `${a.metric.alertname} ${a.metric.platform}`)
      return names.includes('OpenBridgeUpstreamConfigError weixin-app') &&
        names.includes('OpenBridgeUpstreamIpRefused weixin-h5')
        ? names
        : undefined
    })
    // weixin-mp works: no alert names it.
    expect(firing.filter((name) => name.endsWith(' weixin-mp'))).toEqual([])
  })
})
