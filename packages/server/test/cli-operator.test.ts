import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, type CliRun } from './cli-run.js'

const mp = { appid: 'wxop0000000000001', secret: 'OPS-mp-secret-3f9e1d' }
const h5 = { appid: 'wxop0000000000002', secret: 'OPS-h5-secret-8a7b6c' }
const env = { OPS_MP: mp.secret, OPS_H5: h5.secret }
const SECRETS = [mp.secret, h5.secret]

let dir: string
let fake: FakeWeChat
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-ops-'))
})
afterEach(async () => {
  await fake?.close()
  await rm(dir, { recursive: true, force: true })
})

async function setUp(options: Parameters<typeof startFakeWeChat>[0] = {}): Promise<void> {
  fake = await startFakeWeChat({ apps: [mp, h5], ...options })
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory', 'sqlite:./ops.db'],
      apps: [
        { dcloudAppid: '__UNI__OPS', platform: 'weixin-mp', appid: mp.appid, secret: { env: 'OPS_MP' } },
        { dcloudAppid: '__UNI__OPS', platform: 'weixin-h5', appid: h5.appid, secret: { env: 'OPS_H5' } },
      ],
      wechat: { baseUrl: fake.url, retry: { retries: 0 } },
    }),
  )
}
const cli = (args: string[], input?: string) =>
  runCli(args, { cwd: dir, env, ...(input !== undefined ? { input } : {}) })
const all = (run: CliRun) => run.stdout + run.stderr
function noSecret(...runs: CliRun[]): void {
  for (const run of runs) for (const secret of SECRETS) expect(all(run)).not.toContain(secret)
}

describe('open-bridge quota / clear-quota / rid (real child processes, the fake WeChat)', { timeout: 120_000 }, () => {
  it('quota: the token endpoints by default, any API with --api; text and --json', async () => {
    await setUp({ quotas: { stable_token: 2000, getticket: 1000 } })
    const text = await cli(['quota', mp.appid])
    expect(text.code, all(text)).toBe(0)
    // The command's own token fetch (stable_token) is counted before the question is asked.
    expect(text.stdout).toContain(`daily API quota of weixin-mp ${mp.appid} (__UNI__OPS)`)
    expect(text.stdout).toMatch(/\/cgi-bin\/stable_token +used 1 of 2000, 1999 left/)
    expect(text.stdout).toMatch(/\/cgi-bin\/token +used 0 of 100000, 100000 left/)

    const json = await cli([
      'quota',
      '__UNI__OPS',
      '--platform',
      'weixin-h5',
      '--api',
      '/cgi-bin/ticket/getticket',
      '--json',
    ])
    expect(json.code, all(json)).toBe(0)
    expect(json.json()).toEqual({
      command: 'quota',
      app: { appid: h5.appid, platform: 'weixin-h5', dcloudAppid: '__UNI__OPS' },
      quotas: [{ cgiPath: '/cgi-bin/ticket/getticket', dailyLimit: 1000, used: 0, remain: 1000 }],
    })
    const unknownApi = await cli(['quota', mp.appid, '--api', '/cgi-bin/nope', '--json'])
    expect(unknownApi.code).toBe(1)
    expect(unknownApi.json()).toMatchObject({ error: { code: 'E_PLATFORM_API', platformErrcode: 76021 }, exitCode: 1 })
    noSecret(text, json, unknownApi)
  })

  it('<app>: unknown → exit 3; a dcloudAppid naming two apps without --platform, or --remote → exit 2', async () => {
    await setUp()
    const unknown = await cli(['quota', 'wx-nobody', '--json'])
    expect(unknown.code).toBe(3)
    expect(unknown.json()).toMatchObject({ error: { code: 'E_UNKNOWN_APP' }, exitCode: 3 })
    expect(unknown.stderr).toContain(`configured WeChat apps: weixin-mp ${mp.appid}, weixin-h5 ${h5.appid}`)
    const ambiguous = await cli(['rid', '__UNI__OPS', '00000000-00000000-00000000'])
    expect(ambiguous.code).toBe(2)
    expect(ambiguous.stderr).toMatch(/E_USAGE __UNI__OPS names 2 apps .*add --platform/)
    const remote = await cli(['clear-quota', mp.appid, '--remote', 'http://127.0.0.1:1', '--yes'])
    expect(remote.code).toBe(2)
    expect(remote.stderr).toContain('not --remote')
    expect(fake.calls('clear_quota_v2') + fake.calls('stable_token')).toBe(0)
  })

  it('clear-quota asks first (says the monthly limit), resets with v2 when the token endpoint is out of quota', async () => {
    await setUp({ quotas: { token: 0 } })
    // weixin-h5 fetches classic tokens: none can be had today.
    const stuck = await cli(['quota', h5.appid, '--json'])
    expect(stuck.code).toBe(1)
    expect(stuck.json()).toMatchObject({ error: { platformErrcode: 45009, category: 'quota' } })

    const declined = await cli(['clear-quota', h5.appid], 'no\n')
    expect(declined.code, all(declined)).toBe(1)
    expect(declined.stderr).toContain('WeChat allows 10 quota resets a month per account')
    expect(declined.stderr).toContain(`Reset the daily API quotas of weixin-h5 ${h5.appid} (__UNI__OPS) now?`)
    expect(declined.stderr).toContain('E_NOT_CONFIRMED')
    const noAnswer = await cli(['clear-quota', h5.appid])
    expect(noAnswer.code).toBe(1)
    expect(fake.calls('clear_quota_v2')).toBe(0)

    const confirmed = await cli(['clear-quota', h5.appid], 'yes\n')
    expect(confirmed.code, all(confirmed)).toBe(0)
    expect(confirmed.stdout).toContain(`daily API quotas of weixin-h5 ${h5.appid} (__UNI__OPS) reset (clear_quota/v2)`)
    expect(confirmed.stdout).toContain('WeChat allows 10 quota resets a month')
    expect([fake.calls('clear_quota_v2'), fake.calls('clear_quota'), fake.quotaClears(h5.appid)]).toEqual([1, 0, 1])
    noSecret(stuck, declined, noAnswer, confirmed)
  })

  it('clear-quota --yes --json; the eleventh reset of the month is 48006 (category quota), exit 1', async () => {
    await setUp()
    const first = await cli(['clear-quota', mp.appid, '--yes', '--json'])
    expect(first.code, all(first)).toBe(0)
    expect(first.json()).toEqual({
      command: 'clear-quota',
      app: { appid: mp.appid, platform: 'weixin-mp', dcloudAppid: '__UNI__OPS' },
      done: true,
      via: 'appsecret',
      monthlyLimit: 10,
    })
    // Spend the rest of the month's resets directly on the platform.
    for (let i = 0; i < 9; i++) {
      await fetch(`${fake.url}/cgi-bin/clear_quota/v2`, {
        method: 'POST',
        body: JSON.stringify({ appid: mp.appid, appsecret: mp.secret }),
      })
    }
    expect(fake.quotaClears(mp.appid)).toBe(10)
    const eleventh = await cli(['clear-quota', mp.appid, '-y', '--json'])
    expect(eleventh.code).toBe(1)
    expect(eleventh.json()).toMatchObject({
      error: { code: 'E_PLATFORM_API', platformErrcode: 48006, category: 'quota' },
      exitCode: 1,
    })
    expect(eleventh.stderr).toContain('forbid to clear quota because of reaching the limit')
    noSecret(first, eleventh)
  })

  it('rid: the platform’s account of a request, the IP it saw, credentials masked; an unknown rid is 76001', async () => {
    await setUp({ clientIp: '198.51.100.23' })
    const quota = await cli(['quota', mp.appid]) // fetches the token: a stable_token call with the secret in its body
    expect(quota.code, all(quota)).toBe(0)
    const rid = fake.lastRid('stable_token')!
    const text = await cli(['rid', mp.appid, rid])
    expect(text.code, all(text)).toBe(0)
    expect(text.stdout).toContain(`rid ${rid} of weixin-mp ${mp.appid}`)
    expect(text.stdout).toContain('client IP    198.51.100.23')
    expect(text.stdout).toContain('"secret":"***"')
    expect(text.stdout).toContain('"access_token":"***"')
    const json = await cli(['rid', '__UNI__OPS', rid, '--platform', 'weixin-mp', '--json'])
    expect(json.code, all(json)).toBe(0)
    expect(json.json()).toMatchObject({ command: 'rid', rid, clientIp: '198.51.100.23', invokedAt: expect.any(String) })
    const unknown = await cli(['rid', mp.appid, '00000000-00000000-00000000', '--json'])
    expect(unknown.code).toBe(1)
    expect(unknown.json()).toMatchObject({ error: { platformErrcode: 76001 } })
    const malformed = await cli(['rid', mp.appid, 'not a rid'])
    expect(malformed.code).toBe(2)
    noSecret(quota, text, json, unknown, malformed)
  })
})
