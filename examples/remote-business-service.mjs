// A business service that never talks to WeChat: it reads the access_token from a central open-bridge over
// signed HTTP (remoteBridge), makes a platform call with it, and survives a forced token rotation.
// The central server (startServer) and the fake WeChat run in this same script so it needs nothing else.
// Run after `npm install`: node examples/remote-business-service.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBridge, memoryStore, withAccessToken } from '@open-bridge/core'
import { remoteBridge } from '@open-bridge/remote'
import { startServer } from '@open-bridge/server'
import { categoryOf } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const mp = { appid: 'wx1234567890abcdef', secret: 'mp-test-secret' }
const signingSecret = 'central-signing-secret-0123456789'
const fake = await startFakeWeChat({ apps: [mp] })

// ── the central service (one per deployment): holds the appsecret, talks to WeChat ──
const dir = mkdtempSync(join(tmpdir(), 'open-bridge-centre-'))
writeFileSync(
  join(dir, 'open-bridge.config.json'),
  JSON.stringify({
    stores: ['memory'],
    apps: [{ platform: 'weixin-mp', appid: mp.appid, secret: mp.secret }],
    wechat: { baseUrl: fake.url },
    server: { host: '127.0.0.1', port: 0, auth: { signingSecret } },
    schedule: { enable: false }, // the example counts token fetches: no background refresh
    log: { level: 'silent' },
  }),
)
const centre = await startServer({ cwd: dir })

// ── a business service (as many as you like): no appsecret, only the centre's URL and signing secret ──
const bridge = createBridge({
  stores: [memoryStore({ maxTtl: 60_000 })],
  source: remoteBridge({ url: centre.url, secret: signingSecret }),
})
const key = { appid: mp.appid, platform: 'weixin-mp' }

/** Any platform API call made with the access_token (here the fake's stand-in for one). */
async function businessCall(token) {
  const reply = await (await fetch(`${fake.url}/fake/business?access_token=${encodeURIComponent(token)}`)).json()
  if (reply.errcode !== 0)
    throw Object.assign(new Error(`business call: errcode ${reply.errcode}`), { errcode: reply.errcode })
  return reply
}
/** 40001 / 42001 …: the token is dead. withAccessToken then reports it (compare-and-refresh at the centre) and retries once. */
const isRejected = (error) => categoryOf(error.errcode ?? 0) === 'token-invalid'

let attempts = 0
/** The business call, counting how often withAccessToken makes it. */
const countedCall = (token) => {
  attempts++
  return businessCall(token)
}
const first = await withAccessToken(bridge, key, countedCall, isRejected)
console.log('business call:', first.errmsg, '- attempts:', attempts)

// WeChat rotates the token behind everyone's back (another system called /token, say).
const before = (await bridge.getAccessToken(key)).access_token
console.log('forced rotation, old token revoked:', fake.revokeToken(before))

attempts = 0
const second = await withAccessToken(bridge, key, countedCall, isRejected)
const after = (await bridge.getAccessToken(key)).access_token
console.log(
  'business call after the rotation:',
  second.errmsg,
  '- attempts:',
  attempts,
  '- token replaced:',
  after !== before,
)
console.log('tokens the centre fetched from WeChat:', fake.tokensIssued())

await bridge.close()
await centre.close()
await fake.close()
rmSync(dir, { recursive: true, force: true })
