// A JS-SDK config endpoint: GET /jssdk-config?url=<page URL> → what the page passes to wx.config.
// The jsapi ticket (and the access_token it needs) come from the bridge: fetched once, then reused.
// The page URL's #fragment is stripped before signing (the most common "invalid signature").
// Run after `npm install`: node examples/jssdk-config.mjs
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { createBridge, memoryStore } from '@open-bridge/core'
import { jsapiSignature, wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const h5 = { appid: 'wxfedcba0987654321', secret: 'h5-test-secret' }
const fake = await startFakeWeChat({ apps: [h5] })
const bridge = createBridge({
  stores: [memoryStore()],
  apps: [{ dcloudAppid: '__UNI__DEMO', platform: 'weixin-h5', ...h5 }],
  source: wechatSource({ baseUrl: fake.url }),
})
const app = { dcloudAppid: '__UNI__DEMO', platform: 'weixin-h5' }

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost').searchParams.get('url')
  try {
    const config = await jsapiSignature(bridge, app, { url })
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ...config, jsApiList: ['chooseImage'] }))
  } catch (error) {
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: error.code ?? 'E_BAD_REQUEST' }))
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${server.address().port}`
const config = async (page) => (await fetch(`${base}/jssdk-config?url=${encodeURIComponent(page)}`)).json()

const page = 'https://shop.example.com/cart?id=7#/step/2'
const answers = await Promise.all(Array.from({ length: 10 }, () => config(page)))
const first = answers[0]
console.log('wx.config fields:', Object.keys(first).join(', '))
// Check the signature as WeChat does, over the URL without its #fragment (the ticket is read from the bridge).
const { ticket } = await bridge.getTicket(app)
const signed = (url) => `jsapi_ticket=${ticket}&noncestr=${first.nonceStr}&timestamp=${first.timestamp}&url=${url}`
const expected = (url) => createHash('sha1').update(signed(url)).digest('hex')
const withoutHash = first.signature === expected(page.split('#')[0])
console.log('signed without the #fragment:', withoutHash, '- with it:', first.signature === expected(page))
const tokenCalls = fake.calls('stable_token') + fake.calls('token')
console.log('10 pages configured - token calls:', tokenCalls, '- ticket calls:', fake.calls('getticket'))
console.log('a relative URL is refused:', JSON.stringify(await config('/cart')))

server.close()
await bridge.close()
await fake.close()
