/**
 * The compatibility suite, HTTP side: the URL-ized cloud object `uni-open-bridge`, case by case. Its code (1.0.1,
 * `index.obj.js` + `bridge.js`) parses the POST body and hands it whole to uni-open-bridge-common (`getAccessToken
 * (parameters)`, `setAccessToken(parameters, parameters.value, parameters.expiresIn)`), so a body takes what the
 * library takes; the first cloud object (1.0.0) had `getUserKey` / `setUserKey` / `removeUserKey` for the
 * session_key and the `mp-weixin` / `h5-weixin` platform names its readme's examples still show.
 * Run against `open-bridge serve` (startServer) reading a uni-config-center directory named in the config file,
 * with the fake WeChat as the platform.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXPIRES_IN_HEADER } from '@open-bridge/remote'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../src/index.js'

const DCLOUD = '__UNI__HTTP'
const MP = 'wxhttpcompat0001'
const H5 = 'wxhttpcompat00h5'
let fake: FakeWeChat
let server: RunningServer
let dir: string

beforeAll(async () => {
  fake = await startFakeWeChat({
    apps: [
      { appid: MP, secret: 'http-mp-secret' },
      { appid: H5, secret: 'http-h5-secret' },
    ],
  })
  dir = await mkdtemp(join(tmpdir(), 'ob-compat-http-'))
  const center = join(dir, 'uni-config-center')
  await mkdir(join(center, 'uni-id'), { recursive: true })
  await writeFile(
    join(center, 'uni-id', 'config.json'),
    JSON.stringify({
      dcloudAppid: DCLOUD,
      'mp-weixin': { oauth: { weixin: { appid: MP, appsecret: 'http-mp-secret' } } },
      web: { oauth: { 'weixin-h5': { appid: H5, appsecret: 'http-h5-secret' } } },
    }),
  )
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory'],
      uniConfigCenter: 'uni-config-center',
      wechat: { baseUrl: fake.url },
      server: { port: 0 },
      schedule: { enable: false },
      log: { level: 'silent' },
    }),
  )
  server = await startServer({ cwd: dir, env: {} })
})
afterAll(async () => {
  await server?.close()
  await fake.close()
  await rm(dir, { recursive: true, force: true })
})

async function post(route: string, body: unknown): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(`${server.url}/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: await response.json(), headers: response.headers }
}

describe('bodies the cloud object handed to uni-open-bridge-common', () => {
  it('the file’s "uniConfigCenter" is read: dcloudAppid keys resolve through uni-id/config.json', async () => {
    const set = await post('setAccessToken', {
      dcloudAppid: DCLOUD,
      platform: 'weixin-mp',
      value: { access_token: 'AT' },
      expiresIn: 7200,
    })
    expect([set.status, set.json]).toEqual([200, null])
    expect((await post('getAccessToken', { appid: MP, platform: 'weixin-mp' })).json).toEqual({ access_token: 'AT' })
  })

  it('provider instead of platform (1.1.1 on): fetched once, and the answer carries its life', async () => {
    fake.resetCalls()
    const first = await post('getAccessToken', { dcloudAppid: DCLOUD, provider: 'weixin-h5' })
    expect(first.status).toBe(200)
    const token = (first.json as { access_token: string }).access_token
    expect(fake.isTokenValid(token)).toBe(true)
    expect(Number(first.headers.get(EXPIRES_IN_HEADER))).toBeGreaterThan(7000)
    expect((await post('getAccessToken', { dcloudAppid: DCLOUD, platform: 'weixin-h5' })).json).toEqual(first.json)
    expect(fake.calls('token') + fake.calls('stable_token')).toBe(1)
  })

  it('the first cloud object’s platform names (mp-weixin, h5-weixin) name today’s credentials', async () => {
    await post('setTicket', {
      dcloudAppid: DCLOUD,
      platform: 'h5-weixin',
      value: { ticket: 'OLD-NAME' },
      expiresIn: 7200,
    })
    expect((await post('getTicket', { dcloudAppid: DCLOUD, platform: 'weixin-h5' })).json).toEqual({
      ticket: 'OLD-NAME',
    })
    const sk = await post('getSessionKey', { dcloudAppid: DCLOUD, platform: 'mp-weixin', openid: 'nobody' })
    expect([sk.status, sk.json]).toEqual([200, null])
  })

  it('/getUserKey, /setUserKey, /removeUserKey (cloud object 1.0.0) are the session_key routes', async () => {
    const key = { dcloudAppid: DCLOUD, platform: 'mp-weixin', openid: 'o-uk' }
    expect((await post('setUserKey', { ...key, value: { session_key: 'SK' }, expiresIn: -1 })).json).toBeNull()
    expect((await post('getSessionKey', { ...key, platform: 'weixin-mp' })).json).toEqual({ session_key: 'SK' })
    expect((await post('getUserKey', key)).json).toEqual({ session_key: 'SK' })
    expect((await post('removeUserKey', key)).json).toBeNull()
    expect((await post('getUserKey', key)).json).toBeNull()
    expect((await post('getUserKeys', key)).status).toBe(404)
  })

  it('expiresIn: 0 writes nothing (the library skipped the write) and answers null', async () => {
    const key = { dcloudAppid: DCLOUD, platform: 'weixin-mp', openid: 'o-zero' }
    expect((await post('setSessionKey', { ...key, value: { session_key: 'NO' }, expiresIn: 0 })).json).toBeNull()
    expect((await post('getSessionKey', key)).json).toBeNull()
  })

  it('a user token of a platform uni-id does not configure (weixin-web) is stored and read', async () => {
    const key = { dcloudAppid: DCLOUD, platform: 'weixin-web', openid: 'o-web' }
    const value = { access_token: 'UAT', refresh_token: 'URT' }
    expect((await post('setUserAccessToken', { ...key, value, expiresIn: 2_592_000 })).status).toBe(200)
    const got = await post('getUserAccessToken', key)
    expect(got.json).toEqual(value)
    expect(Number(got.headers.get(EXPIRES_IN_HEADER))).toBeGreaterThan(2_500_000)
    // An app credential of that platform has no app to name: 404 E_UNKNOWN_APP listing what is configured.
    const app = await post('getAccessToken', { dcloudAppid: DCLOUD, platform: 'weixin-web' })
    expect(app.status).toBe(404)
    expect(app.json).toMatchObject({ errCode: 'E_UNKNOWN_APP' })
    expect((app.json as { errMsg: string }).errMsg).toContain(`${DCLOUD} (weixin-mp, weixin-h5)`)
    expect((app.json as { errMsg: string }).errMsg).not.toMatch(/http-(mp|h5)-secret/)
  })

  it('/getEncryptKey without version answers the newest key the platform holds', async () => {
    const openid = 'o-ek'
    const newest = fake.rotateEncryptKey(MP, openid)
    const sessionKey = fake.sessionKeyOf(MP, openid)!
    await post('setSessionKey', {
      dcloudAppid: DCLOUD,
      platform: 'weixin-mp',
      openid,
      value: { session_key: sessionKey },
    })
    const got = await post('getEncryptKey', { dcloudAppid: DCLOUD, platform: 'weixin-mp', openid })
    expect(got.status).toBe(200)
    expect(got.json).toMatchObject({ encrypt_key: newest.encrypt_key, version: newest.version })
    // Stored under its version: the versioned read is a hit.
    fake.resetCalls()
    const versioned = await post('getEncryptKey', { dcloudAppid: DCLOUD, platform: 'weixin-mp', openid, version: 1 })
    expect(versioned.json).toMatchObject({ encrypt_key: newest.encrypt_key })
    expect(fake.calls('getuserencryptkey')).toBe(0)
  })
})

describe('unknown body fields, per route', () => {
  it('a read, remove or refresh ignores them, as the library ignored fields it did not know', async () => {
    const body = { dcloudAppid: DCLOUD, platform: 'weixin-mp', fallback: null, traceId: 'abc' }
    expect((await post('getAccessToken', body)).status).toBe(200)
    expect((await post('removeTicket', body)).status).toBe(200)
  })

  it('a set* refuses them, naming the field: a misspelt expiresIn would store the credential for ever', async () => {
    const answer = await post('setAccessToken', {
      dcloudAppid: DCLOUD,
      platform: 'weixin-mp',
      value: { access_token: 'X' },
      expires_in: 7200,
    })
    expect(answer.status).toBe(400)
    expect(answer.json).toEqual({ errCode: 'E_INVALID_BODY', errMsg: 'body.expires_in is not allowed' })
  })

  it('a set without value is refused (the library: Validator.Value "Invalid Value")', async () => {
    const answer = await post('setTicket', { dcloudAppid: DCLOUD, platform: 'weixin-h5' })
    expect([answer.status, (answer.json as { errCode: string }).errCode]).toEqual([400, 'E_INVALID_BODY'])
  })
})
