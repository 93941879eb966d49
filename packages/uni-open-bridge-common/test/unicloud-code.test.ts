import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workDir, writeJson } from './support.js'

/**
 * Real uniCloud code, run on plain Node with only the `require` line changed: DCloud's `uni-subscribemsg` weixin-h5
 * service (`getAccessToken({ dcloudAppid, provider: 'weixin-h5' })`), `uni-id-co`'s WeChat helpers
 * (`saveWeixinUserKey` / `getWeixinCache`, keys `{ dcloudAppid, openid, platform: 'weixin-' + weixinPlatform }`)
 * and a snippet in the first cloud object's names (`mp-weixin`, `getUserKey`), all CommonJS with destructured
 * requires, from a uniCloud project that has an `open-bridge.config.json` beside its uni-config-center. Child
 * processes against the BUILT package (`npm run build`, which `npm test` runs), the fake WeChat as the platform.
 * `uniCloud.httpclient` (the business calls these modules make) is a small shim onto the fake.
 */
const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const workspaceModules = fileURLToPath(new URL('../../../node_modules', import.meta.url))

// uni-subscribemsg, service/weixin-h5.js (sendTemplateMessage), as published; only the require line differs.
const subscribemsg = `const {
\tgetAccessToken
} = require('@open-bridge/uni-open-bridge-common')

module.exports = {
\tsendTemplateMessage: async function(obj = {}) {
\t\tlet { touser, template_id, data } = obj;
\t\tlet getAccessTokenRes = await getAccessToken({
\t\t\tdcloudAppid: this.config.dcloudAppid,
\t\t\tprovider: 'weixin-h5'
\t\t});
\t\tlet access_token = getAccessTokenRes.access_token;
\t\tlet requestUrl = \`https://api.weixin.qq.com/cgi-bin/message/template/send?access_token=\${access_token}\`;
\t\tlet requestRes = await uniCloud.httpclient.request(requestUrl, {
\t\t\tmethod: "POST", dataType: "json", data: { touser, template_id, data }
\t\t})
\t\tlet result = requestRes.data;
\t\treturn { errCode: result.errcode || 0, errMsg: result.errmsg };
\t}
}
`

// uni-id-co, lib/utils/weixin.js (saveWeixinUserKey, getWeixinCache): the uni-open-bridge calls, as written there.
const uniIdCo = `const uniOpenBridge = require('@open-bridge/uni-open-bridge-common')

async function saveWeixinUserKey ({ appId, weixinPlatform, openid, sessionKey, accessToken, refreshToken, accessTokenExpired }) {
  const keyObj = { dcloudAppid: appId, openid, platform: 'weixin-' + weixinPlatform }
  switch (weixinPlatform) {
    case 'mp':
      await uniOpenBridge.setSessionKey(keyObj, { session_key: sessionKey }, 30 * 24 * 60 * 60)
      break
    case 'app':
    case 'h5':
    case 'web':
      await uniOpenBridge.setUserAccessToken(keyObj, {
        access_token: accessToken, refresh_token: refreshToken, access_token_expired: accessTokenExpired
      }, 30 * 24 * 60 * 60)
      break
  }
}

async function getWeixinCache ({ appId, weixinPlatform, openid, key }) {
  const getCacheMethod = weixinPlatform === 'mp' ? 'getSessionKey' : 'getUserAccessToken'
  const userKey = await uniOpenBridge[getCacheMethod]({ dcloudAppid: appId, platform: 'weixin-' + weixinPlatform, openid })
  return userKey ? userKey[key] : undefined
}

module.exports = { saveWeixinUserKey, getWeixinCache }
`

// The first cloud object's names, and a versionless encrypt key, from code written against the documentation.
const olderNames = `const { setUserKey, getUserKey, getEncryptKey, getAccessToken, PlatformType } = require('@open-bridge/uni-open-bridge-common')

exports.main = async (event) => {
  const key = { dcloudAppid: '__UNI__COMPAT', platform: 'mp-weixin', openid: event.openid }
  await setUserKey(key, { session_key: event.sessionKey }, 7200)
  const sessionKey = await getUserKey(key)
  const encryptKey = await getEncryptKey({ dcloudAppid: '__UNI__COMPAT', platform: PlatformType.WEIXIN_MP, openid: event.openid })
  const token = await getAccessToken({ dcloudAppid: '__UNI__COMPAT', platform: PlatformType.WEIXIN_MP })
  return { sessionKey, encryptKeyVersion: encryptKey.version, hasToken: typeof token.access_token === 'string' }
}
`

const runner = `const { close } = require('@open-bridge/uni-open-bridge-common')
const fakeUrl = process.env.FAKE_URL
// uniCloud.httpclient, as these modules call it, onto the fake WeChat.
globalThis.uniCloud = {
  httpclient: {
    async request(url, options = {}) {
      const target = url.replace('https://api.weixin.qq.com', fakeUrl).replace('/cgi-bin/message/template/send', '/fake/business')
      const response = await fetch(target, { method: options.method || 'GET', headers: { 'content-type': 'application/json' }, body: options.data ? JSON.stringify(options.data) : undefined })
      return { status: response.status, data: await response.json() }
    }
  }
}
async function main () {
  const subscribe = require('./uni-subscribemsg-weixin-h5.js')
  const sent = await subscribe.sendTemplateMessage.call({ config: { dcloudAppid: '__UNI__COMPAT' } }, { touser: 'o-user', template_id: 'T1', data: {} })
  const co = require('./uni-id-co-weixin.js')
  const expired = Date.now() + 7200 * 1000
  await co.saveWeixinUserKey({ appId: '__UNI__COMPAT', weixinPlatform: 'web', openid: 'o-web', accessToken: 'web-token', refreshToken: 'web-refresh', accessTokenExpired: expired })
  await co.saveWeixinUserKey({ appId: '__UNI__COMPAT', weixinPlatform: 'mp', openid: 'o-mp', sessionKey: 'mp-session-key' })
  const webToken = await co.getWeixinCache({ appId: '__UNI__COMPAT', weixinPlatform: 'web', openid: 'o-web', key: 'access_token' })
  const mpSession = await co.getWeixinCache({ appId: '__UNI__COMPAT', weixinPlatform: 'mp', openid: 'o-mp', key: 'session_key' })
  const older = await require('./older-names.js').main({ openid: process.env.EK_OPENID, sessionKey: process.env.EK_SESSION_KEY })
  return { sent, webToken, mpSession, older }
}
main()
  .then((out) => console.log(JSON.stringify(out)), (error) => console.log(JSON.stringify({ failed: error.code || error.name, message: error.message })))
  .finally(() => close())
`

let fake: FakeWeChat
let cwd: string
let cleanup: () => Promise<void>

beforeAll(async () => {
  if (!existsSync(join(packageDir, 'dist', 'index.cjs')))
    throw new Error('packages/uni-open-bridge-common is not built: run `npm run build` first')
  fake = await startFakeWeChat({
    apps: [
      { appid: 'wxcompat00000001', secret: 'compat-mp-secret' },
      { appid: 'wxcompat000000h5', secret: 'compat-h5-secret' },
    ],
  })
  ;({ dir: cwd, cleanup } = await workDir({ unicloud: true }))
  await symlink(workspaceModules, join(cwd, 'node_modules'), 'dir')
  // What uniCloud gave implicitly, in a file beside the project's uni-config-center: the store and the platform.
  await writeJson(join(cwd, 'open-bridge.config.json'), { stores: ['memory'], wechat: { baseUrl: fake.url } })
  await writeFile(join(cwd, 'uni-subscribemsg-weixin-h5.js'), subscribemsg)
  await writeFile(join(cwd, 'uni-id-co-weixin.js'), uniIdCo)
  await writeFile(join(cwd, 'older-names.js'), olderNames)
  await writeFile(join(cwd, 'run.cjs'), runner)
})
afterAll(async () => {
  await cleanup?.()
  await fake?.close()
})

describe('real uniCloud code, only the require line changed (CommonJS, built package, child process)', () => {
  it('uni-subscribemsg (provider), uni-id-co (weixin-web, not in uni-id), older names and a versionless encrypt key', async () => {
    const openid = 'o-older'
    const newest = fake.rotateEncryptKey('wxcompat00000001', openid)
    const { stdout } = await run(process.execPath, ['run.cjs'], {
      cwd,
      env: {
        PATH: process.env.PATH,
        FAKE_URL: fake.url,
        EK_OPENID: openid,
        EK_SESSION_KEY: fake.sessionKeyOf('wxcompat00000001', openid)!,
      },
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(JSON.parse(stdout.trim())).toEqual({
      sent: { errCode: 0, errMsg: 'ok' },
      webToken: 'web-token',
      mpSession: 'mp-session-key',
      older: {
        sessionKey: { session_key: fake.sessionKeyOf('wxcompat00000001', openid) },
        encryptKeyVersion: newest.version,
        hasToken: true,
      },
    })
    expect(fake.calls('token')).toBe(1) // the weixin-h5 token the message was sent with, fetched once
  })
})
