// The WeChat source against the fake WeChat server (a real HTTP server on loopback), so it runs anywhere.
// Swap `baseUrl: fake.url` for nothing and the secrets for real ones to talk to the platform.
// Run after `npm install`: node examples/wechat-with-fake.mjs
import { createBridge, memoryStore } from '@open-bridge/core'
import { code2Session, jsapiSignature, wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const mp = { appid: 'wx1234567890abcdef', secret: 'mp-test-secret' }
const h5 = { appid: 'wxfedcba0987654321', secret: 'h5-test-secret' }
const fake = await startFakeWeChat({ apps: [mp, h5] })
const bridge = createBridge({
  stores: [memoryStore()],
  apps: [
    { dcloudAppid: '__UNI__DEMO', platform: 'weixin-mp', ...mp },
    { dcloudAppid: '__UNI__DEMO', platform: 'weixin-h5', ...h5 },
  ],
  source: wechatSource({ baseUrl: fake.url }),
})

// Twenty concurrent readers of a cold access_token: one call to the platform.
await Promise.all(
  Array.from({ length: 20 }, () => bridge.getAccessToken({ dcloudAppid: '__UNI__DEMO', platform: 'weixin-mp' })),
)
console.log('20 readers, stable_token calls:', fake.calls('stable_token'))

// Mini-program login: the session_key lands in the bridge.
const code = fake.issueLoginCode(mp.appid, { openid: 'o-demo' }) // what wx.login gives the client
const { openid } = await code2Session(bridge, { dcloudAppid: '__UNI__DEMO', platform: 'weixin-mp' }, code)
console.log(
  'login stored for',
  openid,
  (await bridge.getSessionKey({ appid: mp.appid, platform: 'weixin-mp', openid })) !== null,
)

// JS-SDK: the ticket is fetched with the token the bridge holds; the #fragment is stripped before signing.
const signed = await jsapiSignature(
  bridge,
  { dcloudAppid: '__UNI__DEMO', platform: 'weixin-h5' },
  { url: 'https://shop.example.com/cart#/step/2' },
)
console.log(
  'wx.config:',
  Object.keys(signed).join(', '),
  '- token calls:',
  fake.calls('token'),
  'ticket calls:',
  fake.calls('getticket'),
)

await bridge.close()
await fake.close()
