import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { startServer } from '../src/index.js'
import { runCli } from './cli-run.js'
import { spawnCli } from './serve-child.js'

/**
 * Store URLs carrying the Redis password in each part of a URL — userinfo, query (`password=`, which ioredis
 * honours) and a fragment — against a real redis-server that requires that password: every tier is really reached
 * with them, and no output of `doctor`, `serve`'s log or `RunningServer.config` shows any of them.
 */
const PASSWORD = 'REDACT-redis-pass-7e6d5c4b'
const FRAGMENT = 'REDACT-fragment-secret-1a2b'
const USERNAME = 'default'
const mp = { appid: 'wx1234567890abcdef', secret: 'REDACT-app-secret-0f9e8d' }

let redis: RedisServer
let dir: string
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  redis = await startRedisServer(['--requirepass', PASSWORD])
  dir = await mkdtemp(join(tmpdir(), 'ob-redact-'))
  env = {
    R_USERINFO: `redis://${USERNAME}:${PASSWORD}@127.0.0.1:${redis.port}/0`,
    R_QUERY: `redis://127.0.0.1:${redis.port}/1?password=${PASSWORD}`,
    R_FRAGMENT: `redis://127.0.0.1:${redis.port}/2?db=2&password=${PASSWORD}#${FRAGMENT}`,
    WX_SECRET: mp.secret,
  }
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory', { env: 'R_USERINFO' }, { env: 'R_QUERY' }, { env: 'R_FRAGMENT' }],
      apps: [{ dcloudAppid: '__UNI__R', platform: 'weixin-mp', appid: mp.appid, secret: { env: 'WX_SECRET' } }],
      server: { host: '127.0.0.1', port: 0 },
      schedule: { enable: false },
      log: { level: 'info' },
    }),
  )
})
afterAll(async () => {
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})

const LABELS = [
  'memory',
  `redis://${USERNAME}:***@127.0.0.1:PORT/0`,
  'redis://127.0.0.1:PORT/1?password=***',
  'redis://127.0.0.1:PORT/2?db=2&password=***#***',
]
const labels = () => LABELS.map((label) => label.replace('PORT', String(redis.port)))

function expectNoSecret(text: string): void {
  expect(text).not.toContain(PASSWORD)
  expect(text).not.toContain(FRAGMENT)
  expect(text).not.toContain(mp.secret)
}

describe('store URLs with a password in userinfo, query and fragment are never shown', { timeout: 120_000 }, () => {
  it('doctor (a real child): every tier reached with the URLs, none of their secrets printed, JSON or text', async () => {
    const json = await runCli(['doctor', '--json', '--timeout', '5000'], { cwd: dir, env, timeoutMs: 90_000 })
    expectNoSecret(json.stdout + json.stderr)
    expect(json.code, json.stdout + json.stderr).toBe(0)
    const details = (json.json() as { checks: { check: string; detail: string }[] }).checks
      .filter((c) => c.check.startsWith('tier '))
      .map((c) => c.detail)
    expect(details).toEqual(labels().map((label) => `${label}: reached`))

    const text = await runCli(['doctor', '--timeout', '5000'], { cwd: dir, env, timeoutMs: 90_000 })
    expect(text.code).toBe(0)
    expectNoSecret(text.stdout + text.stderr)
    for (const label of labels()) expect(text.stdout).toContain(label)
  })

  it("serve (a real child): the 'configuration loaded' log line and every other line hold no secret", async () => {
    const server = spawnCli(['serve'], { cwd: dir, env })
    try {
      await server.url()
      const loaded = await server.waitFor(/"stores"/)
      expect((JSON.parse(loaded) as { stores: string[] }).stores).toEqual(labels())
      expectNoSecret(server.lines.join('\n'))
    } finally {
      await server.kill()
    }
  })

  it('RunningServer.config: labels, JSON and inspect views hold no secret', async () => {
    const lines: string[] = []
    const running = await startServer({
      cwd: dir,
      env: { ...process.env, ...env },
      logStream: { write: (line: string) => void lines.push(line) },
    })
    try {
      expect(running.config.stores.map((s) => s.label)).toEqual(labels())
      expectNoSecret(JSON.stringify(running.config))
      expectNoSecret(inspect(running.config, { depth: Number.POSITIVE_INFINITY, showHidden: true }))
      const metrics = await fetch(`${running.url}/metrics`).then((r) => r.text())
      const ready = await fetch(`${running.url}/readyz`).then((r) => r.text())
      expectNoSecret(metrics + ready)
      expectNoSecret(lines.join(''))
      expect(lines.join('')).toContain('password=***')
    } finally {
      await running.close()
    }
  })
})
