import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { startRedisServer } from '../../../test-support/redis-server.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../src/serve.js'
import { post } from './serve-child.js'

const fixtures = fileURLToPath(new URL('./fixtures/uni-config-center/', import.meta.url))
// The apps of the fixture project's uni-id/config.json.
const mp = { appid: 'wx1234567890abcdef', secret: 'mp-secret-from-uni-id' }
const h5 = { appid: 'wxfedcba0987654321', secret: 'h5-secret-from-uni-id' }

let dir: string
let fake: FakeWeChat
let server: RunningServer | undefined
let logs: string[]
const logStream = { write: (line: string) => void logs.push(line) }

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-serve-in-'))
  fake = await startFakeWeChat({ apps: [mp, h5] })
  logs = []
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await fake.close()
  await rm(dir, { recursive: true, force: true })
})

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('startServer', () => {
  it("--uni-config-center: the project's own files drive the scheduler; HTTP readers get the credentials by dcloudAppid", async () => {
    await cp(join(fixtures, 'project'), join(dir, 'uni-config-center'), { recursive: true })
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({
        stores: ['memory', 'sqlite:./creds.db'],
        schedule: { cron: '*/2 * * * * *', jitterMs: 200 },
        // The fixture's IP list holds no loopback address: add ours.
        server: { port: 0, auth: { ipAllowList: ['127.0.0.1'] } },
        wechat: { baseUrl: fake.url, retry: { retries: 0 } },
      }),
    )
    server = await startServer({ cwd: dir, env: {}, uniConfigCenter: 'uni-config-center', logStream })
    expect(server.config.server.auth.ipAllowList).toEqual(['127.0.0.1', '10.0.0.8', '192.168.1.0/24'])

    // weixin-mp: accessToken (stable); weixin-h5: accessToken (classic) and ticket — nobody asked, the schedule did.
    await until(() => fake.calls('stable_token') === 1 && fake.calls('getticket') === 1)
    expect(fake.calls('token')).toBe(1)
    const ticket = await post(server.url, '/getTicket', { dcloudAppid: '__UNI__A1B2C3', platform: 'weixin-h5' })
    expect(ticket).toEqual({ status: 200, body: { ticket: expect.any(String) } })
    const token = await post(server.url, '/getAccessToken', { dcloudAppid: '__UNI__A1B2C3', platform: 'weixin-mp' })
    expect(fake.isTokenValid((token.body as { access_token: string }).access_token)).toBe(true)

    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({
      ready: true,
      tiers: [
        { name: 'memory', state: 'up', latencyMs: expect.any(Number) },
        { name: 'sqlite', state: 'up', latencyMs: expect.any(Number) },
      ],
    })
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(
      /open_bridge_upstream_fetches_total\{platform="weixin-h5",kind="ticket",by="source",result="ok"\} 1/,
    )
    expect(metrics).toMatch(
      /open_bridge_credential_ttl_seconds\{platform="weixin-h5",appid="wxfedcba0987654321",kind="ticket"\} \d+/,
    )
    expect(metrics).toMatch(
      /open_bridge_http_request_duration_seconds_count\{route="\/getTicket",status_code="200"\} 1/,
    )
    expect(metrics).toMatch(
      /open_bridge_scheduled_runs_total\{platform="weixin-mp",appid="wx1234567890abcdef",task="accessToken",outcome="ok"\} \d+/,
    )

    const loaded = JSON.parse(logs.find((l) => l.includes('configuration loaded'))!)
    expect(loaded.uniConfigCenter).toBe(join(dir, 'uni-config-center'))
    for (const secret of [mp.secret, h5.secret, 'uni-id-password-secret-not-for-open-bridge'])
      expect(logs.join('')).not.toContain(secret)
  })

  it('schedule.enable false: nothing is fetched until someone asks', async () => {
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({
        stores: ['memory'],
        apps: [{ platform: 'weixin-mp', ...mp }],
        schedule: { enable: false, cron: '* * * * * *', jitterMs: 0 },
        server: { port: 0 },
        wechat: { baseUrl: fake.url },
      }),
    )
    server = await startServer({ cwd: dir, env: {}, logStream })
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(fake.calls('stable_token')).toBe(0)
    expect(logs.some((l) => l.includes('scheduler disabled'))).toBe(true)
  })

  it('a field buildApp or wechatSource refuses is named as the config file names it', async () => {
    await writeFile(
      join(dir, 'a.json'),
      JSON.stringify({ stores: ['sqlite:./a.db'], server: { port: 0, auth: { ipAllowList: ['10.0.0.300'] } } }),
    )
    await expect(startServer({ cwd: dir, env: {}, configPath: 'a.json', logStream })).rejects.toMatchObject({
      code: 'E_INVALID_CONFIG',
      field: 'server.auth.ipAllowList[0]',
    })
    await writeFile(join(dir, 'b.json'), JSON.stringify({ server: { port: 0 }, wechat: { baseUrl: 'ftp://proxy' } }))
    await expect(startServer({ cwd: dir, env: {}, configPath: 'b.json', logStream })).rejects.toMatchObject({
      code: 'E_INVALID_CONFIG',
      field: 'wechat.baseUrl',
    })
    await writeFile(join(dir, 'c.json'), JSON.stringify({ server: { port: 0, auth: { signingSecret: 'short' } } }))
    await expect(startServer({ cwd: dir, env: {}, configPath: 'c.json', logStream })).rejects.toMatchObject({
      code: 'E_INVALID_CONFIG',
      field: 'server.auth.signingSecret',
    })
  })

  it('close() is graceful and idempotent: the port is freed, the bridge is closed', async () => {
    await writeFile(join(dir, 'open-bridge.config.json'), JSON.stringify({ stores: ['memory'], server: { port: 0 } }))
    const running = await startServer({ cwd: dir, env: {}, logStream })
    const url = running.url
    await Promise.all([running.close(), running.close()])
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    await expect(running.bridge.getAccessToken({ appid: 'wx', platform: 'weixin-mp' })).rejects.toMatchObject({
      code: 'E_CLOSED',
    })
  })
})

describe('startServer: a port in use', () => {
  it('fails with EADDRINUSE, closes what it opened, and leaves the first server serving', async () => {
    await writeFile(join(dir, 'open-bridge.config.json'), JSON.stringify({ stores: ['memory'], server: { port: 0 } }))
    server = await startServer({ cwd: dir, env: {}, logStream })
    const port = Number(new URL(server.url).port)
    await writeFile(
      join(dir, 'same.json'),
      JSON.stringify({ stores: ['memory', 'sqlite:./same.db'], server: { port } }),
    )
    await expect(startServer({ cwd: dir, env: {}, configPath: 'same.json', logStream })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    })
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })
})

describe('startServer: replicas on one Redis', () => {
  it('a credential set through one replica is read through the other; /readyz shows Redis down, then back', async () => {
    const redis = await startRedisServer()
    const replicas: RunningServer[] = []
    try {
      await writeFile(
        join(dir, 'open-bridge.config.json'),
        JSON.stringify({ stores: ['memory?maxTtl=1000', redis.url], server: { port: 0 } }),
      )
      for (let i = 0; i < 2; i++) replicas.push(await startServer({ cwd: dir, env: {}, logStream }))
      const [a, b] = replicas as [RunningServer, RunningServer]
      const key = { appid: 'wx-shared', platform: 'weixin-mp' }
      expect(
        (await post(a.url, '/setAccessToken', { ...key, value: { access_token: 'shared' }, expiresIn: 600 })).status,
      ).toBe(200)
      expect(await post(b.url, '/getAccessToken', key)).toEqual({ status: 200, body: { access_token: 'shared' } })

      await redis.kill()
      const down = await fetch(`${b.url}/readyz`)
      expect(down.status).toBe(503) // the only shared tier is gone
      expect(
        ((await down.json()) as { tiers: Array<{ name: string; state: string; error?: string }> }).tiers[1],
      ).toMatchObject({
        name: 'redis',
        state: 'down',
        error: expect.stringMatching(/^E_[A-Z_]+$|^[A-Z]+$/),
      })
      await redis.restart()
      const deadline = Date.now() + 10_000
      let state = 503
      while (state !== 200 && Date.now() < deadline) {
        state = (await fetch(`${b.url}/readyz`)).status
        if (state !== 200) await new Promise((resolve) => setTimeout(resolve, 200))
      }
      expect(state).toBe(200)
    } finally {
      await Promise.all(replicas.map((r) => r.close()))
      await redis.stop()
    }
  })
})
