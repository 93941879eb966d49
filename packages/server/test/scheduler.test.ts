import { createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createScheduler, type RunOutcome, type Scheduler } from '../src/scheduler/scheduler.js'
import type { ScheduledJob } from '../src/scheduler/tasks.js'

const mp = { appid: 'wx1234567890abcdef', secret: 'SCHED-mp-secret-4e1b' }
const h5 = { appid: 'wxfedcba0987654321', secret: 'SCHED-h5-secret-9c2d' }
const jobs: ScheduledJob[] = [
  { platform: 'weixin-mp', appid: mp.appid, dcloudAppid: '__UNI__A', task: 'accessToken' },
  { platform: 'weixin-h5', appid: h5.appid, dcloudAppid: '__UNI__A', task: 'ticket' },
]

interface LogLine {
  level: string
  details: Record<string, unknown>
  message: string
}

let fake: FakeWeChat
let bridge: CredentialBridge
let scheduler: Scheduler | undefined
let lines: LogLine[]
let runs: Array<[string, RunOutcome]>
const logger = {
  debug: (details: object, message: string) =>
    lines.push({ level: 'debug', details: details as Record<string, unknown>, message }),
  info: (details: object, message: string) =>
    lines.push({ level: 'info', details: details as Record<string, unknown>, message }),
  warn: (details: object, message: string) =>
    lines.push({ level: 'warn', details: details as Record<string, unknown>, message }),
}

beforeEach(async () => {
  lines = []
  runs = []
  fake = await startFakeWeChat({ apps: [mp, h5] })
  bridge = createBridge({
    stores: [memoryStore()],
    apps: [
      { dcloudAppid: '__UNI__A', platform: 'weixin-mp', ...mp },
      { dcloudAppid: '__UNI__A', platform: 'weixin-h5', ...h5 },
    ],
    source: wechatSource({ baseUrl: fake.url, retry: { retries: 0 } }),
  })
})
afterEach(async () => {
  await scheduler?.stop()
  scheduler = undefined
  await bridge.close()
  await fake.close()
})

function start(overrides: Partial<Parameters<typeof createScheduler>[0]> = {}): Scheduler {
  scheduler = createScheduler({
    bridge,
    jobs,
    cron: '* * * * * *', // every second
    jitterMs: 100,
    logger,
    onRun: (job, outcome) => runs.push([`${job.platform}:${job.task}`, outcome]),
    ...overrides,
  })
  scheduler.start()
  return scheduler
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const held = async () =>
  (await bridge.getAccessToken({ appid: mp.appid, platform: 'weixin-mp' }, async () => null)) !== null &&
  (await bridge.getTicket({ appid: h5.appid, platform: 'weixin-h5' }, async () => null)) !== null

describe('scheduler against the fake WeChat', () => {
  it("fetches each job's credential (the ticket with its access_token), then keeps it fresh on every tick", async () => {
    start()
    await until(held)
    expect(fake.calls('stable_token')).toBe(1)
    expect(fake.calls('token')).toBe(1) // weixin-h5: the classic token, read through the bridge for the ticket
    expect(fake.calls('getticket')).toBe(1)

    // While the credentials are live, ticks are cache hits: no new platform call.
    await until(() => runs.filter(([job, outcome]) => job === 'weixin-mp:accessToken' && outcome === 'ok').length >= 3)
    expect(fake.calls('stable_token')).toBe(1)

    // A credential gone (expired, or removed after a leak) is fetched again by the next run, with nobody asking.
    await bridge.removeAccessToken({ appid: mp.appid, platform: 'weixin-mp' })
    await until(() => fake.calls('stable_token') === 2)
    await until(held)
  })

  it('a failing run is logged with app, task and errcode — never the secret — and the next run still happens', async () => {
    fake.inject('stable_token', { errcode: -1, errmsg: 'system error' }, 2)
    start({ jobs: [jobs[0]!] })
    await until(() => runs.filter(([, outcome]) => outcome === 'error').length >= 2)
    await until(() => runs.some(([, outcome]) => outcome === 'ok'))
    expect(await bridge.getAccessToken({ appid: mp.appid, platform: 'weixin-mp' }, async () => null)).not.toBeNull()

    const failures = lines.filter((l) => l.message.startsWith('scheduled refresh failed'))
    expect(failures.length).toBeGreaterThanOrEqual(2)
    expect(failures[0]).toMatchObject({
      level: 'warn',
      details: {
        app: '__UNI__A',
        appid: mp.appid,
        platform: 'weixin-mp',
        task: 'accessToken',
        errCode: 'E_PLATFORM_API',
        errcode: -1,
        category: 'transient',
      },
    })
    const everything = JSON.stringify(lines)
    for (const secret of [mp.secret, h5.secret]) expect(everything).not.toContain(secret)
  })

  it('runs of one task never overlap: a slow run makes the ticks that fall during it skip', async () => {
    fake.setLatency(2_500, 'stable_token')
    start({ jobs: [jobs[0]!], jitterMs: 0 })
    await until(() => runs.some(([, outcome]) => outcome === 'ok'))
    expect(runs.filter(([, outcome]) => outcome === 'skipped').length).toBeGreaterThanOrEqual(1)
    expect(lines.some((l) => l.message.startsWith('scheduled refresh skipped'))).toBe(true)
    expect(fake.calls('stable_token')).toBe(1)
  })

  it('jitter delays each run by a random 0…jitterMs; stop() cancels runs still waiting and ends the schedule', async () => {
    const draws: number[] = []
    start({
      cron: '0 0 * * * *',
      jitterMs: 30_000,
      random: () => {
        draws.push(0.5)
        return 0.5
      },
    }) // hourly; 15 s of jitter
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(draws.length).toBe(2) // the start-up run of each job drew its delay …
    expect(fake.calls('stable_token') + fake.calls('getticket')).toBe(0) // … and is still waiting it out
    const begun = Date.now()
    await scheduler!.stop()
    expect(Date.now() - begun).toBeLessThan(2_000) // stop did not wait out the jitter
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(fake.calls('stable_token') + fake.calls('getticket')).toBe(0)
    expect(runs).toEqual([])
  })

  it('after stop() no tick runs', async () => {
    start({ jobs: [jobs[0]!], jitterMs: 0 })
    await until(() => runs.length >= 2)
    await scheduler!.stop()
    const count = runs.length
    await new Promise((resolve) => setTimeout(resolve, 2_200))
    expect(runs.length).toBe(count)
  })
})
