import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
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
