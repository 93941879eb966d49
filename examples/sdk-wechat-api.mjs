// wechat-api (callbacks) fed from the bridge: the SDK never fetches a token or a JS-SDK ticket itself, gets each
// one's real expiry, and its 40001 retry goes through compare-and-refresh — one platform fetch for the deployment.
// Two "processes" here are two bridges over one SQLite file (its lock is what keeps the fetch to one).
// Run after `npm install`: node examples/sdk-wechat-api.mjs
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore } from '@open-bridge/core'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { bridgeWechatApi } from '@open-bridge/wechat-fetchers/sdk'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const API = createRequire(import.meta.url)('wechat-api')
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
  // No appsecret in the SDK: it has nothing to fetch with, and needs nothing.
  const api = bridgeWechatApi(new API(oa.appid, ''), bridge, key)
  api.endpoint = fake.url // the fake instead of https://api.weixin.qq.com
  return { bridge, api }
}
const call = (api, method, ...args) =>
  new Promise((resolve, reject) => api[method](...args, (error, result) => (error ? reject(error) : resolve(result))))

const processes = [processWithSdk(), processWithSdk()]
await Promise.all(processes.flatMap(({ api }) => [1, 2, 3].map(() => call(api, 'getIp'))))
console.log('6 business calls in 2 processes - token fetches:', fake.calls('token'))

const { access_token: dead } = await processes[0].bridge.getAccessToken(key)
fake.revokeToken(dead) // e.g. someone reset the appsecret, or fetched a classic token elsewhere
const before = fake.tokensIssued()
const answers = await Promise.all(processes.map(({ api }) => call(api, 'getIp')))
console.log(
  'after a revoked token, every call recovered:',
  answers.every((answer) => Array.isArray(answer.ip_list)),
  '- new tokens issued:',
  fake.tokensIssued() - before,
)

const configs = await Promise.all(
  processes.map(({ api }) =>
    call(api, 'getJsConfig', { url: 'https://shop.example.com/', jsApiList: ['chooseImage'] }),
  ),
)
console.log('wx.config in 2 processes:', configs.length, '- getticket calls:', fake.calls('getticket'))

await Promise.all(processes.map(({ bridge }) => bridge.close()))
await fake.close()
await rm(dir, { recursive: true, force: true })
