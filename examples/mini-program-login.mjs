// A mini-program login endpoint: POST /login { code } → code2Session (the session_key is stored in the
// bridge, never sent to the client), then POST /profile { openid, encryptedData, iv } → decryptUserData.
// Runs against the fake WeChat; the "phone" part below encrypts like WeChat does for wx.getUserProfile.
// Run after `npm install`: node examples/mini-program-login.mjs
import { createCipheriv, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { createBridge, memoryStore } from '@open-bridge/core'
import { code2Session, decryptUserData, wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const mp = { appid: 'wx1234567890abcdef', secret: 'mp-test-secret' }
const fake = await startFakeWeChat({ apps: [mp] })
const bridge = createBridge({
  stores: [memoryStore()],
  apps: [{ dcloudAppid: '__UNI__DEMO', platform: 'weixin-mp', ...mp }],
  source: wechatSource({ baseUrl: fake.url }),
})
const app = { dcloudAppid: '__UNI__DEMO', platform: 'weixin-mp' }

const routes = {
  async '/login'({ code }) {
    const { openid } = await code2Session(bridge, app, code) // stores the session_key
    return { openid } // a real service would answer its own session token here
  },
  async '/profile'({ openid, encryptedData, iv }) {
    const stored = await bridge.getSessionKey({ ...app, openid })
    if (stored === null) return { error: 'log in again' }
    const { nickName, watermark } = decryptUserData({
      sessionKey: stored.session_key,
      encryptedData,
      iv,
      appid: mp.appid,
    })
    return { nickName, watermarkOk: watermark.appid === mp.appid }
  },
}
const server = createServer(async (req, res) => {
  let body = ''
  for await (const chunk of req) body += chunk
  try {
    const answer = await routes[req.url](JSON.parse(body))
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
  } catch (error) {
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: error.code ?? 'E_BAD_REQUEST' }))
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${server.address().port}`
const post = async (path, body) => (await fetch(base + path, { method: 'POST', body: JSON.stringify(body) })).json()

// ── the mini-program side ──
const code = fake.issueLoginCode(mp.appid, { openid: 'o-demo-user' }) // what wx.login gives the client
const { openid } = await post('/login', { code })
console.log('logged in:', openid)
// What WeChat hands the mini-program: the profile, AES-128-CBC under the user's session_key.
const iv = randomBytes(16)
const cipher = createCipheriv('aes-128-cbc', Buffer.from(fake.sessionKeyOf(mp.appid, openid), 'base64'), iv)
const plain = JSON.stringify({
  nickName: 'Demo User',
  watermark: { appid: mp.appid, timestamp: Math.floor(Date.now() / 1000) },
})
const encryptedData = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64')
console.log('profile:', JSON.stringify(await post('/profile', { openid, encryptedData, iv: iv.toString('base64') })))
console.log('a used code is refused:', JSON.stringify(await post('/login', { code })))

server.close()
await bridge.close()
await fake.close()
