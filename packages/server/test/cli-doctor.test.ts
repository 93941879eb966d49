import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startRedisServer } from '../../../test-support/redis-server.js'
import { runCli, type CliRun } from './cli-run.js'

const mp = { appid: 'wx1234567890abcdef', secret: 'DOC-app-secret-9a8b7c' }
const h5 = { appid: 'wxfedcba0987654321', secret: 'DOC-h5-secret-1f2e3d' }
const REDIS_PASSWORD = 'DOC-redis-pass-6d5c'

let dir: string
let fake: FakeWeChat | undefined
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-cli-doctor-'))
})
afterEach(async () => {
  await fake?.close()
  fake = undefined
  await rm(dir, { recursive: true, force: true })
})

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: dir, env })
const all = (run: CliRun) => run.stdout + run.stderr

/** A loopback port nothing listens on (taken, then freed). */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

type Check = {
  check: string
  status: string
  detail: string
  latencyMs?: number
  code?: string
  platformErrcode?: number
  exitCode?: number
}

describe('open-bridge doctor against a config (real child processes)', { timeout: 120_000 }, () => {
  it('reaches every tier with its latency; a dead Redis is reported by code (password masked) and exits 4', async () => {
    const port = await deadPort()
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({
        stores: ['memory', { env: 'REDIS_URL' }, 'sqlite:./doctor.db'],
        apps: [{ dcloudAppid: '__UNI__D', platform: 'weixin-mp', appid: mp.appid, secret: { env: 'WX_SECRET' } }],
      }),
    )
    const env = { REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}`, WX_SECRET: mp.secret }
    const run = await cli(['doctor', '--json', '--timeout', '3000'], env)
    expect(run.code, all(run)).toBe(4)
    const report = run.json() as { ok: boolean; exitCode: number; checks: Check[] }
    expect(report).toMatchObject({ command: 'doctor', mode: 'config', ok: false, exitCode: 4 })
    const byName = Object.fromEntries(report.checks.map((c) => [c.check, c]))
    expect(byName.config).toMatchObject({ status: 'ok' })
    expect(byName.config!.detail).toMatch(/open-bridge\.config\.json: 3 tier\(s\), 1 app\(s\)$/)
    expect(byName['tier memory']).toMatchObject({ status: 'ok', latencyMs: expect.any(Number) })
    expect(byName['tier sqlite']).toMatchObject({
      status: 'ok',
      detail: 'sqlite:./doctor.db: reached',
      latencyMs: expect.any(Number),
    })
    expect(byName['tier redis']).toMatchObject({
      status: 'fail',
      exitCode: 4,
      detail: `redis://:***@127.0.0.1:${port}: not reached`,
    })
    expect(byName['tier redis']!.code).toMatch(/^(ECONNREFUSED|E_PROBE_TIMEOUT|E_[A-Z_]+)$/)
    expect(byName['app apps[0]']).toMatchObject({
      status: 'ok',
      detail: `weixin-mp ${mp.appid} (__UNI__D): secret set, scheduled accessToken`,
    })
    // No live check without --live.
    expect(report.checks.some((c) => c.check.startsWith('live'))).toBe(false)
    expect(all(run)).not.toContain(REDIS_PASSWORD)
    expect(all(run)).not.toContain(mp.secret)

    const human = await cli(['doctor', '--timeout', '3000'], env)
    expect(human.code).toBe(4)
    expect(human.stdout).toMatch(
      /^fail {2}tier redis {15}redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: not reached \(\d+ ms\) \[[A-Z_]+\]$/m,
    )
    expect(human.stdout).toMatch(/^ok {4}tier sqlite {14}sqlite:\.\/doctor\.db: reached \([\d.]+ ms\)$/m)
    expect(human.stdout).toMatch(/failed: 1 check\(s\)\n$/)
  })

  it('a Redis tier without persistence is a warning naming what is lost and how to fix it; with AOF it is ok', async () => {
    const plain = await startRedisServer()
    const durable = await startRedisServer(['--dir', dir, '--appendonly', 'yes', '--appendfilename', 'doctor.aof'])
    try {
      await writeFile(
        join(dir, 'open-bridge.config.json'),
        JSON.stringify({ stores: ['memory', { env: 'REDIS_URL' }, 'sqlite:./doctor.db'] }),
      )
      const lossy = await cli(['doctor', '--json'], { REDIS_URL: plain.url })
      // A warning, not a failure: the deployment works, a restart of that Redis would lose what it holds.
      expect(lossy.code, all(lossy)).toBe(0)
      const checks = (lossy.json() as { checks: Check[] }).checks
      const warned = checks.find((c) => c.check === 'persistence redis')
      expect(warned).toMatchObject({ status: 'warn' })
      expect(warned!.detail).toContain('persistence is off (appendonly no, save "")')
      expect(warned!.detail).toContain('appendonly yes')
      // Tiers that persist by themselves are not asked.
      expect(checks.some((c) => c.check === 'persistence sqlite' || c.check === 'persistence memory')).toBe(false)
      const human = await cli(['doctor'], { REDIS_URL: plain.url })
      expect(human.stdout).toMatch(/^warn {2}persistence redis/m)
      const kept = await cli(['doctor', '--json'], { REDIS_URL: durable.url })
      expect((kept.json() as { checks: Check[] }).checks.find((c) => c.check === 'persistence redis')).toMatchObject({
        status: 'ok',
      })
    } finally {
      await Promise.all([plain.stop(), durable.stop()])
    }
  })

  it('a config error is the failed check, named, exit 3', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ stores: ['memory', 'sqlite:'] }))
    const run = await cli(['doctor', '-c', 'bad.json', '--json'])
    expect(run.code, all(run)).toBe(3)
    expect(run.json()).toMatchObject({
      ok: false,
      exitCode: 3,
      checks: [
        {
          check: 'config',
          status: 'fail',
          code: 'E_INVALID_CONFIG',
          detail: expect.stringMatching(/^stores\[1\] must name a file/),
        },
      ],
    })
  })

  it('--live asks the platform once per app through the source; a refused secret fails with its errcode, exit 1', async () => {
    fake = await startFakeWeChat({ apps: [mp, h5] })
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({
        stores: ['memory', 'sqlite:./live.db'],
        apps: [
          { dcloudAppid: '__UNI__L', platform: 'weixin-mp', appid: mp.appid, secret: { env: 'WX_MP' } },
          { dcloudAppid: '__UNI__L', platform: 'weixin-h5', appid: h5.appid, secret: { env: 'WX_H5' } },
          { dcloudAppid: '__UNI__L', platform: 'qq-app', appid: 'qq-doctor' },
        ],
        wechat: { baseUrl: fake.url, retry: { retries: 0 } },
      }),
    )
    const env = { WX_MP: mp.secret, WX_H5: h5.secret }
    const good = await cli(['doctor', '--live', '--json'], env)
    expect(good.code, all(good)).toBe(0)
    const report = good.json() as { ok: boolean; checks: Check[] }
    expect(report.ok).toBe(true)
    const live = report.checks.filter((c) => c.check.startsWith('live'))
    expect(live.map((c) => [c.check, c.status])).toEqual([
      [`live weixin-mp ${mp.appid}`, 'ok'],
      [`live weixin-h5 ${h5.appid}`, 'ok'],
      ['live qq-app qq-doctor', 'skip'],
    ])
    expect(live[0]!.detail).toBe('access_token fetched (lives 7140 s; not stored)')
    expect(live[0]!.latencyMs).toEqual(expect.any(Number))
    expect(live[1]!.detail).toMatch(/^access_token fetched and stored/)
    // Once per app: weixin-mp by stable_token, weixin-h5 (classic mode) by token.
    expect([fake.calls('stable_token'), fake.calls('token')]).toEqual([1, 1])

    // The stable token was not stored: a get fetches it. The classic one was (it replaced the platform's): a get reads it.
    const mpGet = await cli(['get', 'access_token', '--appid', mp.appid, '--platform', 'weixin-mp'], env)
    const h5Get = await cli(['get', 'access_token', '--appid', h5.appid, '--platform', 'weixin-h5'], env)
    expect([mpGet.code, h5Get.code], all(mpGet) + all(h5Get)).toEqual([0, 0])
    expect([fake.calls('stable_token'), fake.calls('token')]).toEqual([2, 1])
    const get = mpGet

    const plain = await cli(['doctor'], env)
    expect(plain.code).toBe(0)
    expect([fake.calls('stable_token'), fake.calls('token')]).toEqual([2, 1]) // no --live, no platform call

    const refused = await cli(['doctor', '--live', '--json'], { WX_MP: 'DOC-wrong-secret-0000', WX_H5: h5.secret })
    expect(refused.code, all(refused)).toBe(1)
    const failed = (refused.json().checks as Check[]).find((c) => c.check === `live weixin-mp ${mp.appid}`)
    expect(failed).toMatchObject({
      status: 'fail',
      code: 'E_PLATFORM_API',
      platformErrcode: 40125,
      category: 'config',
      exitCode: 1,
    })
    for (const run of [good, get, h5Get, plain, refused]) {
      for (const secret of [mp.secret, h5.secret, 'DOC-wrong-secret-0000']) expect(all(run)).not.toContain(secret)
    }
  })
})
