import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createBridge, memoryStore } from '@open-bridge/core'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MP } from './support.js'

const probe = fileURLToPath(new URL('./fixtures/lazy-undici-probe.mjs', import.meta.url))
let fake: FakeWeChat
beforeAll(async () => {
  fake = await startFakeWeChat({ apps: [MP] })
})
afterAll(() => fake.close())

/**
 * Cold start: undici costs a process more to import than everything else a credential hit needs, so the WeChat
 * source loads it on its first platform call. Checked in a fresh process of each build (what an app loads).
 */
describe.each(['esm', 'cjs'])('the %s build loads undici on the first platform call, not at import', (format) => {
  it('a cached hit leaves undici unloaded; the first fetch loads it and works', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [probe, format, fake.url, MP.appid, MP.secret], {
      timeout: 60_000,
    })
    expect(JSON.parse(stdout)).toEqual({ hit: 'cached-ticket', afterHit: false, fetched: 'string', afterFetch: true })
  })
})

describe('closing a source around its first call (the agent is made on that call)', () => {
  it('close() while the first call makes the agent, close() again, then a call: typed answers, close never throws', async () => {
    const source = wechatSource({ baseUrl: fake.url, retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 } })
    const bridge = createBridge({
      apps: [{ appid: MP.appid, platform: 'weixin-mp', secret: MP.secret }],
      stores: [memoryStore()],
      source,
    })
    const key = { appid: MP.appid, platform: 'weixin-mp' } as const
    const first = bridge.getAccessToken(key).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    )
    await expect(source.close()).resolves.toBeUndefined()
    await expect(source.close()).resolves.toBeUndefined()
    const settled = await first
    // Either it got through before the agent closed, or it failed as a call on a closed source does.
    if ('error' in settled) expect(settled.error).toMatchObject({ code: expect.stringMatching(/^E_/) })
    else expect(settled.value).toMatchObject({ access_token: expect.any(String) })
    const late = wechatSource({ baseUrl: fake.url, retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 } })
    await late.close()
    const lateBridge = createBridge({
      apps: [{ appid: MP.appid, platform: 'weixin-mp', secret: MP.secret }],
      stores: [memoryStore()],
      source: late,
    })
    await expect(lateBridge.getAccessToken(key)).rejects.toMatchObject({ code: 'E_HTTP' })
    await Promise.all([bridge.close(), lateBridge.close()])
  })
})
