import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBridge, memoryStore } from '@open-bridge/core'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createScheduler } from '../src/scheduler/scheduler.js'
import { runCli, type CliRun } from './cli-run.js'

const mp = { appid: 'wxip00000000000001', secret: 'IP-mp-secret-6d5e4f' }
const h5 = { appid: 'wxip00000000000002', secret: 'IP-h5-secret-1a2b3c' }

let fake: FakeWeChat | undefined
let dir: string | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

interface Check {
  check: string
  status: string
  detail: string
  code?: string
  platformErrcode?: number
  category?: string
  ipDiagnosis?: Record<string, unknown>
  exitCode?: number
}
const all = (run: CliRun) => run.stdout + run.stderr

describe('IP diagnosis where an operator looks: doctor --live, the scheduler log line', { timeout: 120_000 }, () => {
  it('doctor --live says which IP the platform saw and where to add it (40164), or that an admin must confirm it (89503)', async () => {
    fake = await startFakeWeChat({ apps: [mp, h5], clientIp: '203.0.113.44' })
    dir = await mkdtemp(join(tmpdir(), 'ob-ip-'))
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({
        stores: ['memory'],
        apps: [
          { platform: 'weixin-mp', appid: mp.appid, secret: { env: 'IP_MP' } },
          { platform: 'weixin-h5', appid: h5.appid, secret: { env: 'IP_H5' } },
        ],
        wechat: { baseUrl: fake.url, retry: { retries: 0 } },
      }),
    )
    const env = { IP_MP: mp.secret, IP_H5: h5.secret }
    fake.refuseIp(40164, { endpoints: ['stable_token'] })
    const whitelist = await runCli(['doctor', '--live', '--json'], { cwd: dir, env })
    expect(whitelist.code, all(whitelist)).toBe(1)
    const checks = whitelist.json().checks as Check[]
    const refused = checks.find((c) => c.check === `live weixin-mp ${mp.appid}`)!
    expect(refused).toMatchObject({
      status: 'fail',
      platformErrcode: 40164,
      category: 'config',
      ipDiagnosis: { ip: '203.0.113.44', whitelist: 'app', adminMustConfirm: false, rid: expect.any(String) },
    })
    expect(refused.detail).toContain("add 203.0.113.44 to the app's API IP whitelist")
    expect(checks.find((c) => c.check === `live weixin-h5 ${h5.appid}`)!.status).toBe('ok')

    fake.refuseIp(89503)
    const text = await runCli(['doctor', '--live'], { cwd: dir, env })
    expect(text.code, all(text)).toBe(1)
    expect(text.stdout).toMatch(
      new RegExp(
        `fail +live weixin-mp ${mp.appid} .*an administrator of the app must confirm 203\\.0\\.113\\.44 in WeChat`,
      ),
    )
    for (const run of [whitelist, text])
      for (const secret of [mp.secret, h5.secret]) expect(all(run)).not.toContain(secret)
  })

  it('the scheduler log line of a refused IP names the IP, the whitelist and the advice — never the secret', async () => {
    fake = await startFakeWeChat({ apps: [mp], clientIp: '198.51.100.77' })
    fake.refuseIp(61004)
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ platform: 'weixin-mp', ...mp }],
      source: wechatSource({ baseUrl: fake.url, retry: { retries: 0 } }),
    })
    const lines: Array<{ details: Record<string, unknown>; message: string }> = []
    const log = (details: object, message: string) =>
      lines.push({ details: details as Record<string, unknown>, message })
    const scheduler = createScheduler({
      bridge,
      jobs: [{ platform: 'weixin-mp', appid: mp.appid, task: 'accessToken' }],
      cron: '* * * * * *',
      jitterMs: 0,
      logger: { debug: log, info: log, warn: log },
    })
    scheduler.start()
    const deadline = Date.now() + 20_000
    while (!lines.some((l) => l.message.startsWith('scheduled refresh failed')) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50))
    await scheduler.stop()
    await bridge.close()
    const failed = lines.find((l) => l.message.startsWith('scheduled refresh failed'))!
    expect(failed.details).toMatchObject({
      errcode: 61004,
      category: 'config',
      platformSawIp: '198.51.100.77',
      ipWhitelist: 'open-platform',
      adminMustConfirm: false,
      errMsg: expect.stringContaining("add 198.51.100.77 to the third-party platform's whitelist"),
    })
    expect(JSON.stringify(lines)).not.toContain(mp.secret)
  })
})
