import { createBridge, memoryStore } from '@open-bridge/core'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { code2Session, exchangeOAuthCode, isWechatError, wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { H5, MP, QQ, startWorld, type World, h5Key, mpKey } from './support.js'

let world: World | undefined
afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('wechatSource: access_token', () => {
  it('weixin-mp uses stable_token by default and stores the token', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const token = await bridge.getAccessToken({ dcloudAppid: '__UNI__APP', platform: 'weixin-mp' })
    expect(fake.isTokenValid(token!.access_token)).toBe(true)
    expect(fake.calls('stable_token')).toBe(1)
    expect(fake.calls('token')).toBe(0)
    // Stored: a second read is served by the bridge.
    expect(await bridge.getAccessToken(mpKey)).toEqual(token)
    expect(fake.calls('stable_token')).toBe(1)
  })

  it('weixin-h5 uses the classic token by default; qq-mp uses QQ getToken', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const h5 = await bridge.getAccessToken(h5Key)
    const qq = await bridge.getAccessToken({ appid: QQ.appid, platform: 'qq-mp' })
    expect(fake.isTokenValid(h5!.access_token)).toBe(true)
    expect(fake.isTokenValid(qq!.access_token)).toBe(true)
    expect([fake.calls('token'), fake.calls('qq_token'), fake.calls('stable_token')]).toEqual([1, 1, 0])
  })

  it('accessTokenMode overrides the endpoint per platform', async () => {
    world = await startWorld({ source: { accessTokenMode: { 'weixin-h5': 'stable', 'weixin-mp': 'classic' } } })
    const { bridge, fake } = world
    await bridge.getAccessToken(h5Key)
    expect(fake.calls('stable_token')).toBe(1)
    await bridge.getAccessToken(mpKey)
    expect(fake.calls('token')).toBe(1)
  })

  it('concurrent misses make one platform call', async () => {
    world = await startWorld({ fake: { latencyMs: 50 } })
    const { bridge, fake } = world
    const tokens = await Promise.all(Array.from({ length: 20 }, () => bridge.getAccessToken(h5Key)))
    expect(new Set(tokens.map((t) => t!.access_token)).size).toBe(1)
    expect(fake.calls('token')).toBe(1)
  })

  it('stores the platform expires_in less the safety margin', async () => {
    world = await startWorld({ fake: { tokenLifetimeSeconds: 7200 } })
    const result = await world.source.fetch(
      'access_token',
      {
        kind: 'access_token',
        platform: 'weixin-mp',
        appid: MP.appid,
        dcloudAppid: undefined,
        openid: undefined,
        version: undefined,
        ticketType: undefined,
        storageKey: 'k',
      },
      {
        app: { platform: 'weixin-mp', ...MP },
        bridge: world.bridge,
        reason: 'miss',
        previous: undefined,
        signal: new AbortController().signal,
      },
    )
    expect(result!.expiresIn).toBe(7140)
  })

  it('an app that is not configured, or has no secret, is a config error naming the appid; no call is made', async () => {
    world = await startWorld()
    const { fake, source } = world
    await expect(
      world.bridge.getAccessToken({ appid: 'wxunknown0000001', platform: 'weixin-mp' }),
    ).rejects.toMatchObject({
      code: 'E_APP_NOT_CONFIGURED',
      appid: 'wxunknown0000001',
    })
    const noSecret = createBridge({
      stores: [memoryStore()],
      apps: [{ platform: 'weixin-mp', appid: MP.appid }],
      source,
    })
    const error = await noSecret.getAccessToken(mpKey).catch((e: unknown) => e)
    expect(isWechatError(error, 'E_APP_NOT_CONFIGURED')).toBe(true)
    expect((error as Error).message).toContain(MP.appid)
    expect(fake.calls('stable_token')).toBe(0)
  })

  it('qq-app has no client-credential token: the bridge returns null', async () => {
    world = await startWorld()
    expect(await world.bridge.getAccessToken({ appid: QQ.appid, platform: 'qq-app' })).toBeNull()
  })
})

describe('wechatSource: ticket', () => {
  it('fetches a jsapi ticket with the stored access_token: one token call for token + ticket + second ticket type', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const token = await bridge.getAccessToken(h5Key)
    const ticket = await bridge.getTicket(h5Key)
    const card = await bridge.getTicket({ ...h5Key, ticketType: 'wx_card' })
    expect(ticket!.ticket).toMatch(/^TICKET_jsapi_/)
    expect(card!.ticket).toMatch(/^TICKET_wx_card_/)
    expect(fake.calls('token')).toBe(1)
    expect(fake.calls('getticket')).toBe(2)
    expect(await bridge.getAccessToken(h5Key)).toEqual(token)
    // Stored.
    await bridge.getTicket(h5Key)
    expect(fake.calls('getticket')).toBe(2)
  })

  it('a cold ticket fetches the access_token through the bridge, which then holds it', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    await bridge.getTicket(h5Key)
    await bridge.getAccessToken(h5Key)
    expect(fake.calls('token')).toBe(1)
  })

  it('a rejected stored token is dropped and replaced once, then the ticket call succeeds', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    await bridge.setAccessToken(h5Key, { access_token: 'DEAD_TOKEN_FROM_ANOTHER_SERVER' }, 3600)
    const ticket = await bridge.getTicket(h5Key)
    expect(ticket!.ticket).toMatch(/^TICKET_jsapi_/)
    expect(fake.calls('getticket')).toBe(2)
    expect(fake.calls('token')).toBe(1)
    expect((await bridge.getAccessToken(h5Key))!.access_token).not.toBe('DEAD_TOKEN_FROM_ANOTHER_SERVER')
  })

  it('a platform without JS-SDK tickets resolves null', async () => {
    world = await startWorld()
    expect(await world.bridge.getTicket(mpKey)).toBeNull()
  })
})

describe('wechatSource: encrypt_key and session_key', () => {
  it('picks the key whose version was asked for', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const code = fake.issueLoginCode(MP.appid, { openid: 'o-mp' })
    await code2Session(bridge, mpKey, code)
    const keys = [1, 2, 3].map(() => fake.rotateEncryptKey(MP.appid, 'o-mp'))
    const got = await bridge.getEncryptKey({ ...mpKey, openid: 'o-mp', version: 2 })
    expect(got).toMatchObject({ encrypt_key: keys[1]!.encrypt_key, iv: keys[1]!.iv })
    expect(fake.calls('getuserencryptkey')).toBe(1)
    expect(fake.calls('stable_token')).toBe(1)
    // Stored: read again without a platform call.
    expect(await bridge.getEncryptKey({ ...mpKey, openid: 'o-mp', version: 2 })).toEqual(got)
    expect(fake.calls('getuserencryptkey')).toBe(1)
  })

  it('an absent version is E_ENCRYPT_KEY_VERSION_MISSING naming the versions there are', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    await code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-mp' }))
    fake.rotateEncryptKey(MP.appid, 'o-mp')
    const error = await bridge.getEncryptKey({ ...mpKey, openid: 'o-mp', version: 9 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_ENCRYPT_KEY_VERSION_MISSING', field: 'key.version' })
    expect((error as Error).message).toContain('has: 1')
  })

  it('a user without a stored session_key is E_SESSION_KEY_MISSING, not a TypeError', async () => {
    world = await startWorld()
    await expect(world.bridge.getEncryptKey({ ...mpKey, openid: 'o-nobody', version: 1 })).rejects.toMatchObject({
      code: 'E_SESSION_KEY_MISSING',
    })
    expect(world.fake.calls('getuserencryptkey')).toBe(0)
  })

  it('a session_key miss resolves null (only code2Session produces one)', async () => {
    world = await startWorld()
    expect(await world.bridge.getSessionKey({ ...mpKey, openid: 'o-nobody' })).toBeNull()
  })
})

describe('wechatSource: user_access_token', () => {
  it('renews a rejected user token from the refresh_token it carries (compare-and-refresh), once', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const first = await exchangeOAuthCode(bridge, h5Key, fake.issueOAuthCode(H5.appid, { openid: 'o-web' }))
    const userKey = { ...h5Key, openid: 'o-web' }
    const renewed = await bridge.refreshUserAccessToken(userKey, { ifValue: first.access_token })
    expect(renewed!.access_token).not.toBe(first.access_token)
    expect(renewed!.refresh_token).toBe(first.refresh_token)
    expect(fake.isUserTokenValid(renewed!.access_token)).toBe(true)
    expect(fake.calls('oauth2_refresh_token')).toBe(1)
    expect(await bridge.getUserAccessToken(userKey)).toEqual(renewed)
    // A second report of the same dead token: the stored one is no longer it, so no platform call.
    expect(await bridge.refreshUserAccessToken(userKey, { ifValue: first.access_token })).toEqual(renewed)
    expect(fake.calls('oauth2_refresh_token')).toBe(1)
  })

  it('renews ahead of expiry with the refresh_token of the token it replaces; callers keep the current one meanwhile', async () => {
    const fake = await startFakeWeChat({ apps: [H5], latencyMs: { oauth2_refresh_token: 50 } })
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ platform: 'weixin-h5', ...H5 }],
      source: wechatSource({ baseUrl: fake.url }),
      // Every hit is inside the window: the first one renews in the background.
      refreshAhead: { user_access_token: 7_200_000 },
    })
    try {
      const first = await exchangeOAuthCode(bridge, h5Key, fake.issueOAuthCode(H5.appid, { openid: 'o-web' }))
      const userKey = { ...h5Key, openid: 'o-web' }
      expect((await bridge.getUserAccessToken(userKey))!.access_token).toBe(first.access_token)
      for (let i = 0; i < 100 && fake.calls('oauth2_refresh_token') === 0; i++) await sleep(10)
      await sleep(100)
      const renewed = await bridge.getUserAccessToken(userKey)
      expect(renewed!.access_token).not.toBe(first.access_token)
      expect(fake.isUserTokenValid(renewed!.access_token)).toBe(true)
      expect(fake.calls('oauth2_refresh_token')).toBe(1)
    } finally {
      await bridge.close()
      await fake.close()
    }
  })

  it('a refresh_token the platform refuses (40030) renews nothing: null, one platform call', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const userKey = { ...h5Key, openid: 'o-web' }
    await bridge.setUserAccessToken(
      userKey,
      { access_token: 'REJECTED_USER_TOKEN', refresh_token: 'REVOKED_REFRESH_TOKEN' },
      3600,
    )
    expect(await bridge.refreshUserAccessToken(userKey, { ifValue: 'REJECTED_USER_TOKEN' })).toBeNull()
    expect(fake.calls('oauth2_refresh_token')).toBe(1)
  })

  it('after the 2-hour token has gone, renews from the refresh_token kept in its own record', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const first = await exchangeOAuthCode(bridge, h5Key, fake.issueOAuthCode(H5.appid, { openid: 'o-web' }))
    const userKey = { ...h5Key, openid: 'o-web' }
    expect(await bridge.get('user_refresh_token', userKey)).toEqual({ refresh_token: first.refresh_token })
    // The access token is gone (expired and dropped by the tiers); its refresh_token's record is still there.
    await bridge.removeUserAccessToken(userKey)
    const renewed = await bridge.getUserAccessToken(userKey)
    expect(renewed!.access_token).not.toBe(first.access_token)
    expect(fake.isUserTokenValid(renewed!.access_token)).toBe(true)
    expect(fake.calls('oauth2_refresh_token')).toBe(1)
    expect(await bridge.getUserAccessToken(userKey)).toEqual(renewed)
    expect(fake.calls('oauth2_refresh_token')).toBe(1)
  })

  it('a refused refresh_token (40030) in its own record is forgotten: null now and later, one platform call', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const userKey = { ...h5Key, openid: 'o-web' }
    await bridge.set('user_refresh_token', userKey, { refresh_token: 'REVOKED_REFRESH_TOKEN' }, 3600)
    expect(await bridge.getUserAccessToken(userKey)).toBeNull()
    expect(await bridge.get('user_refresh_token', userKey)).toBeNull()
    expect(await bridge.getUserAccessToken(userKey)).toBeNull()
    expect(fake.calls('oauth2_refresh_token')).toBe(1)
  })

  it('the source fetches no user_refresh_token: a miss is null without a platform call', async () => {
    world = await startWorld()
    expect(await world.bridge.get('user_refresh_token', { ...h5Key, openid: 'o-never' })).toBeNull()
    expect(world.fake.calls('oauth2_refresh_token') + world.fake.calls('oauth2_access_token')).toBe(0)
  })

  it('resolves null when no user token is stored (nothing to renew from)', async () => {
    world = await startWorld()
    expect(await world.bridge.getUserAccessToken({ ...h5Key, openid: 'o-never' })).toBeNull()
    expect(world.fake.calls('oauth2_refresh_token')).toBe(0)
  })
})

describe('wechatSource options', () => {
  it('rejects malformed options with a typed error naming the field', () => {
    expect(() => wechatSource({ baseUrl: 'ftp://x' })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT', field: 'baseUrl' }),
    )
    expect(() => wechatSource({ accessTokenMode: { 'weixin-mp': 'fast' as 'stable' } })).toThrow(
      expect.objectContaining({ field: 'accessTokenMode.weixin-mp' }),
    )
    expect(() => wechatSource({ retry: { retries: -1 } })).toThrow(expect.objectContaining({ field: 'retry.retries' }))
    expect(() => wechatSource({ timeouts: { headersMs: 0 } })).toThrow(
      expect.objectContaining({ field: 'timeouts.headersMs' }),
    )
  })

  it('sends through a dispatcher given in options, and leaves it open on close', async () => {
    world = await startWorld()
    const agent = new Agent()
    let dispatched = 0
    const counting = agent.compose((dispatch) => (opts, handler) => {
      dispatched++
      return dispatch(opts, handler)
    })
    const source = wechatSource({ baseUrl: world.fake.url, dispatcher: counting })
    const bridge = createBridge({ stores: [memoryStore()], apps: [{ platform: 'weixin-mp', ...MP }], source })
    expect(await bridge.getAccessToken(mpKey)).toHaveProperty('access_token')
    expect(dispatched).toBe(1)
    await bridge.close()
    const response = await request(`${world.fake.url}/fake/business?access_token=x`, { dispatcher: agent })
    expect(await response.body.json()).toMatchObject({ errcode: 40001 })
    await agent.close()
  })

  it('baseUrl per host: QQ calls go to the qq host only', async () => {
    world = await startWorld()
    const { fake } = world
    const source = wechatSource({ baseUrl: { qq: fake.url, weixin: 'http://127.0.0.1:9' }, retry: { retries: 0 } })
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [
        { platform: 'qq-mp', ...QQ },
        { platform: 'weixin-mp', ...MP },
      ],
      source,
    })
    expect(await bridge.getAccessToken({ appid: QQ.appid, platform: 'qq-mp' })).toHaveProperty('access_token')
    await expect(bridge.getAccessToken(mpKey)).rejects.toMatchObject({ code: 'E_HTTP' })
    await bridge.close()
  })
})
