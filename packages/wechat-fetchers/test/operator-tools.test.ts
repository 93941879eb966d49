import { inspect } from 'node:util'
import { createBridge, memoryStore } from '@open-bridge/core'
import {
  CLEAR_QUOTA_MONTHLY_LIMIT,
  clearQuota,
  getApiQuota,
  getRidInfo,
  isWechatError,
  type PlatformApiError,
  wechatSource,
} from '@open-bridge/wechat-fetchers'
import { FAKE_DEFAULT_DAILY_LIMIT } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { H5, MP, QQ, startWorld, type World, h5Key, mpKey } from './support.js'

let world: World | undefined
afterEach(async () => {
  await world?.close()
  world = undefined
})

const shown = (value: unknown) => `${inspect(value, { depth: 20, showHidden: true })}\n${JSON.stringify(value)}`
const ridOf = (error: unknown) => /rid: ([\w-]+)/.exec((error as PlatformApiError).errmsg)?.[1]

describe('getApiQuota (openapi/quota/get)', () => {
  it("answers the API's daily limit, used and remaining calls, as the platform counts them", async () => {
    world = await startWorld({ fake: { quotas: { stable_token: 2000 } } })
    await world.bridge.getAccessToken(mpKey) // one stable_token call
    expect(await getApiQuota(world.bridge, mpKey, '/cgi-bin/stable_token')).toEqual({
      cgiPath: '/cgi-bin/stable_token',
      dailyLimit: 2000,
      used: 1,
      remain: 1999,
    })
    expect(await getApiQuota(world.bridge, mpKey, '/cgi-bin/ticket/getticket')).toEqual({
      cgiPath: '/cgi-bin/ticket/getticket',
      dailyLimit: FAKE_DEFAULT_DAILY_LIMIT,
      used: 0,
      remain: FAKE_DEFAULT_DAILY_LIMIT,
    })
    // The token came from the bridge: one stable_token call for both questions.
    expect(world.fake.calls('stable_token')).toBe(1)
    expect(world.fake.calls('quota_get')).toBe(2)
  })

  it('an unknown path is the platform’s 76021; a malformed one or a QQ app is refused before any call', async () => {
    world = await startWorld()
    await expect(getApiQuota(world.bridge, mpKey, '/cgi-bin/nope')).rejects.toMatchObject({
      code: 'E_PLATFORM_API',
      errcode: 76021,
    })
    world.fake.resetCalls()
    for (const path of ['cgi-bin/token', 'https://api.weixin.qq.com/cgi-bin/token', '', 42 as unknown as string]) {
      await expect(getApiQuota(world.bridge, mpKey, path)).rejects.toMatchObject({
        code: 'E_INVALID_ARGUMENT',
        field: 'cgiPath',
      })
    }
    await expect(
      getApiQuota(world.bridge, { appid: QQ.appid, platform: 'qq-mp' }, '/api/getToken'),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', field: 'key.platform' })
    expect(world.fake.calls('quota_get') + world.fake.calls('stable_token')).toBe(0)
  })
})

describe('clearQuota (clear_quota/v2 with appid + appsecret; clear_quota with a token)', () => {
  it('v2 works when the token endpoint is out of quota (45009): no token needed, and tokens flow again', async () => {
    world = await startWorld({ fake: { quotas: { token: 1 } } })
    await world.bridge.getAccessToken(h5Key) // the day's one classic token call
    await world.bridge.remove('access_token', h5Key)
    await expect(world.bridge.getAccessToken(h5Key)).rejects.toMatchObject({ errcode: 45009, category: 'quota' })

    expect(await clearQuota(world.bridge, h5Key)).toEqual({ appid: H5.appid, via: 'appsecret' })
    expect(world.fake.calls('clear_quota_v2')).toBe(1)
    expect(world.fake.quotaClears(H5.appid)).toBe(1)
    // The bridge remembers the 45009 for its back-off window; a remove ends the window (as a set or a fetch would).
    await world.bridge.remove('access_token', h5Key)
    expect(await world.bridge.getAccessToken(h5Key)).toHaveProperty('access_token')
  })

  it(`the eleventh reset of a month is 48006 (category quota): ${CLEAR_QUOTA_MONTHLY_LIMIT} a month, v1 and v2 together`, async () => {
    world = await startWorld()
    expect(CLEAR_QUOTA_MONTHLY_LIMIT).toBe(10)
    for (let i = 0; i < 5; i++) await clearQuota(world.bridge, mpKey)
    for (let i = 0; i < 5; i++)
      expect(await clearQuota(world.bridge, mpKey, { via: 'access_token' })).toEqual({
        appid: MP.appid,
        via: 'access_token',
      })
    expect(world.fake.quotaClears(MP.appid)).toBe(10)
    const error = await clearQuota(world.bridge, mpKey).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_PLATFORM_API', errcode: 48006, category: 'quota' })
    expect((error as Error).message).toContain('forbid to clear quota because of reaching the limit')
    await expect(clearQuota(world.bridge, mpKey, { via: 'access_token' })).rejects.toMatchObject({ errcode: 48006 })
    // Another account has its own ten.
    await clearQuota(world.bridge, h5Key)
    expect(world.fake.quotaClears(H5.appid)).toBe(1)
  })

  it('is sent once: a transient failure is not retried (a lost answer may already have spent a reset)', async () => {
    world = await startWorld()
    world.fake.inject('clear_quota_v2', { errcode: -1, errmsg: 'system error' })
    await expect(clearQuota(world.bridge, mpKey)).rejects.toMatchObject({ errcode: -1, category: 'transient' })
    expect(world.fake.calls('clear_quota_v2')).toBe(1)
  })

  it('a wrong secret is 40125; the secret is in no error (it travels in the body, never the URL)', async () => {
    world = await startWorld()
    const secret = 'WRONG-clear-secret-7e6d5c4b'
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ platform: 'weixin-mp', appid: MP.appid, secret }],
      source: wechatSource({ baseUrl: world.fake.url }),
    })
    world.fake.inject('clear_quota_v2', { errcode: 40125, errmsg: `invalid appsecret ${secret}` })
    const error = await clearQuota(bridge, mpKey).catch((e: unknown) => e)
    expect(error).toMatchObject({ errcode: 40125, category: 'config', url: expect.stringMatching(/clear_quota\/v2$/) })
    expect(shown(error)).not.toContain(secret)
    await expect(clearQuota(bridge, mpKey, { via: 'nope' as never })).rejects.toMatchObject({
      field: 'options.via',
    })
    await bridge.close()
  })

  it('an app configured without a secret cannot use v2: E_APP_NOT_CONFIGURED, nothing sent', async () => {
    world = await startWorld()
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ platform: 'weixin-mp', appid: MP.appid }],
      source: wechatSource({ baseUrl: world.fake.url }),
    })
    await expect(clearQuota(bridge, mpKey)).rejects.toMatchObject({ code: 'E_APP_NOT_CONFIGURED' })
    expect(world.fake.calls('clear_quota_v2')).toBe(0)
    await bridge.close()
  })
})

describe('getRidInfo (openapi/rid/get)', () => {
  it('tells what a failed request was and the IP the platform saw, every credential masked', async () => {
    world = await startWorld({ fake: { clientIp: '203.0.113.7' } })
    const token = (await world.bridge.getAccessToken(mpKey))!.access_token
    world.fake.revokeToken(token)
    // A business call with the dead token fails with a rid; the bridge refreshes the token for rid/get.
    const failed = await fetch(`${world.fake.url}/cgi-bin/getcallbackip?access_token=${token}`).then((r) => r.json())
    const rid = /rid: ([\w-]+)/.exec((failed as { errmsg: string }).errmsg)![1]!
    const info = await getRidInfo(world.bridge, mpKey, rid)
    expect(info).toMatchObject({
      rid,
      clientIp: '203.0.113.7',
      requestUrl: 'access_token=***',
      requestBody: '',
      responseBody: expect.stringContaining('"errcode":40001'),
    })
    expect(info.invokeTime).toBeGreaterThan(Date.now() / 1000 - 600)
    expect(info.costInMs).toBeGreaterThanOrEqual(0)
    expect(shown(info)).not.toContain(token)
  })

  it('masks the secret of a stable_token body and the token of its answer (JSON fields, not only known literals)', async () => {
    world = await startWorld()
    const token = (await world.bridge.getAccessToken(mpKey))!.access_token
    const tokenCall = await getRidInfo(world.bridge, mpKey, world.fake.lastRid('stable_token')!)
    expect(tokenCall.requestBody).toBe(
      `{"grant_type":"client_credential","appid":"${MP.appid}","secret":"***","force_refresh":false}`,
    )
    expect(tokenCall.responseBody).toMatch(/^\{"access_token":"\*\*\*","expires_in":\d+\}$/)
    // Another app's secret in a body is not a literal this bridge knows: masked as a JSON field all the same.
    world.fake.refuseIp(40164, { endpoints: ['stable_token'] })
    const refused = await fetch(`${world.fake.url}/cgi-bin/stable_token`, {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', appid: H5.appid, secret: H5.secret }),
    }).then((r) => r.json() as Promise<{ errmsg: string }>)
    world.fake.allowIp()
    const other = await getRidInfo(world.bridge, mpKey, ridOf({ errmsg: refused.errmsg })!)
    expect(other.requestBody).toBe(`{"grant_type":"client_credential","appid":"${H5.appid}","secret":"***"}`)
    for (const secret of [MP.secret, H5.secret, token]) expect(shown([tokenCall, other])).not.toContain(secret)
  })

  it('an unknown rid is 76001; a malformed one is refused before any call', async () => {
    world = await startWorld()
    await expect(getRidInfo(world.bridge, mpKey, '00000000-00000000-00000000')).rejects.toMatchObject({
      errcode: 76001,
    })
    for (const rid of ['', 'a b', 'x'.repeat(200), 'rid&access_token=1']) {
      const error = await getRidInfo(world.bridge, mpKey, rid).catch((e: unknown) => e)
      expect(isWechatError(error, 'E_INVALID_ARGUMENT')).toBe(true)
      expect(error).toMatchObject({ field: 'rid' })
    }
  })
})
