// co-wechat-api (async) fed from the bridge: its 40001 / 42001 retry (saveToken(null), getAccessToken(), again)
// becomes a compare-and-refresh, so two processes that both see a revoked token cause one platform fetch.
// Run after `npm install`: node examples/sdk-co-wechat-api.mjs
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore } from '@open-bridge/core'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { bridgeCoWechatApi } from '@open-bridge/wechat-fetchers/sdk'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const API = createRequire(import.meta.url)('co-wechat-api')
const oa = { appid: 'wx0fficia1acc0unt', secret: 'oa-test-secret' }
const key = { dcloudAppid: '__UNI__DEMO', platform: 'weixin-h5' }
const fake = await startFakeWeChat({ apps: [oa] })
const dir = await mkdtemp(join(tmpdir(), 'ob-sdk-'))

function processWithSdk() {
  const bridge = createBridge({
    stores: [memoryStore({ maxTtl: 60_000 }), sqliteStore({ path: join(dir, 'bridge.db') })],
    apps: [{ ...key, ...oa }],
    source: wechatSource({ baseUrl: fake.url }),
  })
  const api = bridgeCoWechatApi(new API(oa.appid, ''), bridge, key)
  api.prefix = `${fake.url}/cgi-bin/` // the fake instead of https://api.weixin.qq.com/cgi-bin/
  return { bridge, api }
}

const processes = [processWithSdk(), processWithSdk()]
await Promise.all(processes.flatMap(({ api }) => [1, 2, 3].map(() => api.getIp())))
console.log('6 business calls in 2 processes - token fetches:', fake.calls('token'))

const { access_token: dead } = await processes[0].bridge.getAccessToken(key)
fake.revokeToken(dead)
const before = fake.tokensIssued()
const answers = await Promise.all(processes.map(({ api }) => api.getIp()))
console.log(
  'after a revoked token, every call recovered:',
  answers.every((answer) => Array.isArray(answer.ip_list)),
  '- new tokens issued:',
  fake.tokensIssued() - before,
)

const configs = await Promise.all(processes.map(({ api }) => api.getJsConfig({ url: 'https://shop.example.com/' })))
console.log('wx.config in 2 processes:', configs.length, '- getticket calls:', fake.calls('getticket'))

await Promise.all(processes.map(({ bridge }) => bridge.close()))
await fake.close()
await rm(dir, { recursive: true, force: true })
