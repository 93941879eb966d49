import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cardSignature,
  checkSessionKey,
  code2Session,
  decryptUserData,
  exchangeOAuthCode,
  isWechatError,
  jsapiSignature,
  newestEncryptKey,
  resetSessionKey,
  wechatSource,
} from '@open-bridge/wechat-fetchers'
import {
  createBridge,
  memoryStore,
  type BridgeOptions,
  type CredentialBridge,
  type CredentialSource,
} from '@open-bridge/core'
import { H5, MP, startWorld, type World, h5Key, mpKey } from './support.js'

let world: World | undefined
afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('code2Session, checkSessionKey, resetSessionKey', () => {
  it('code2Session returns openid, unionid and session_key and stores the session_key', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const code = fake.issueLoginCode(MP.appid, { openid: 'o-1', unionid: 'u-1' })
    const info = await code2Session(bridge, mpKey, code)
    expect(info).toEqual({ openid: 'o-1', unionid: 'u-1', session_key: fake.sessionKeyOf(MP.appid, 'o-1') })
    expect(await bridge.getSessionKey({ ...mpKey, openid: 'o-1' })).toEqual({ session_key: info.session_key })
  })

  it('a bad sessionKeyTtlSeconds is refused before the single-use code is spent', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const code = fake.issueLoginCode(MP.appid, { openid: 'o-1' })
    for (const sessionKeyTtlSeconds of [0, -5, Number.NaN, '3600']) {
      const error = await code2Session(bridge, mpKey, code, { sessionKeyTtlSeconds } as never).catch((e: unknown) => e)
      expect(isWechatError(error, 'E_INVALID_ARGUMENT')).toBe(true)
      expect(error).toMatchObject({ field: 'options.sessionKeyTtlSeconds' })
    }
    expect(fake.calls('jscode2session')).toBe(0)
    expect((await code2Session(bridge, mpKey, code, { sessionKeyTtlSeconds: 3600 })).openid).toBe('o-1')
  })

  it('a used code is a PlatformApiError of category user; the code is not in the error', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const code = fake.issueLoginCode(MP.appid, { openid: 'o-1' })
    await code2Session(bridge, mpKey, code)
    const error = await code2Session(bridge, mpKey, code).catch((e: unknown) => e)
    expect(error).toMatchObject({ errcode: 40163, category: 'user' })
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain(code)
  })

  it('checkSessionKey is true for the stored key, false once it was replaced; resetSessionKey stores the new one', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const userKey = { ...mpKey, openid: 'o-1' }
    await code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-1' }))
    expect(await checkSessionKey(bridge, userKey)).toBe(true)

    const reset = await resetSessionKey(bridge, userKey)
    expect(reset.session_key).toBe(fake.sessionKeyOf(MP.appid, 'o-1'))
    expect(await bridge.getSessionKey(userKey)).toEqual(reset)
    expect(await checkSessionKey(bridge, userKey)).toBe(true)

    await bridge.setSessionKey(userKey, { session_key: randomBytes(16).toString('base64') })
    expect(await checkSessionKey(bridge, userKey)).toBe(false)
  })

  it('keys may name the app by dcloudAppid: stored under, and answered for, its platform appid', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const byDcloud = { dcloudAppid: '__UNI__APP', platform: 'weixin-mp' } as const
    const info = await code2Session(bridge, byDcloud, fake.issueLoginCode(MP.appid, { openid: 'o-d' }))
    expect(info.session_key).toBe(fake.sessionKeyOf(MP.appid, 'o-d'))
    expect(await bridge.getSessionKey({ ...mpKey, openid: 'o-d' })).toEqual({ session_key: info.session_key })
    expect(await checkSessionKey(bridge, { ...byDcloud, openid: 'o-d' })).toBe(true)
    const reset = await resetSessionKey(bridge, { ...byDcloud, openid: 'o-d' })
    expect(await bridge.getSessionKey({ ...mpKey, openid: 'o-d' })).toEqual(reset)
  })

  it('checkSessionKey without a stored session_key is E_SESSION_KEY_MISSING', async () => {
    world = await startWorld()
    await expect(checkSessionKey(world.bridge, { ...mpKey, openid: 'o-none' })).rejects.toMatchObject({
      code: 'E_SESSION_KEY_MISSING',
    })
  })

  it('bad arguments are typed errors naming the field', async () => {
    world = await startWorld()
    const { bridge } = world
    await expect(code2Session(bridge, mpKey, '')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', field: 'code' })
    await expect(code2Session(bridge, { platform: 'weixin-mp' } as never, 'c')).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
      field: 'key.dcloudAppid',
    })
    await expect(code2Session(bridge, { appid: '', platform: 'weixin-mp' }, 'c')).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
      field: 'key.appid',
    })
    await expect(
      code2Session(bridge, { dcloudAppid: '__UNI__NOPE', platform: 'weixin-mp' }, 'c'),
    ).rejects.toMatchObject({
      code: 'E_UNKNOWN_APP',
      field: 'key.dcloudAppid',
    })
    await expect(code2Session(undefined as never, mpKey, 'c')).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'bridge',
    })
    await expect(checkSessionKey(bridge, { ...mpKey, openid: 'o-1' }, { source: {} } as never)).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'options.source',
    })
    await expect(checkSessionKey(bridge, { ...mpKey, openid: 'o-1' }, 'x' as never)).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'options',
    })
    await expect(resetSessionKey(bridge, { ...mpKey, openid: '' })).rejects.toMatchObject({ field: 'key.openid' })
    expect(
      world.fake.calls('jscode2session') + world.fake.calls('checksession') + world.fake.calls('resetusersessionkey'),
    ).toBe(0)
  })
})

describe('which source and secret helpers use', () => {
  const apps = [{ dcloudAppid: '__UNI__APP', platform: 'weixin-mp' as const, ...MP }]
  const notWechat: CredentialSource = { fetch: async () => null }
  const bridges: CredentialBridge[] = []
  afterEach(async () => {
    await Promise.all(bridges.splice(0).map((bridge) => bridge.close()))
  })
  function bridgeWith(options: Omit<BridgeOptions, 'stores'>): CredentialBridge {
    const bridge = createBridge({ stores: [memoryStore()], ...options })
    bridges.push(bridge)
    return bridge
  }

  it('a bridge without a wechatSource and no options.source is E_NO_WECHAT_SOURCE naming options.source', async () => {
    world = await startWorld()
    const { fake } = world
    for (const bridge of [bridgeWith({ apps }), bridgeWith({ apps, source: notWechat })]) {
      const code = fake.issueLoginCode(MP.appid, { openid: 'o-1' })
      const error = await code2Session(bridge, mpKey, code).catch((e: unknown) => e)
      expect(isWechatError(error, 'E_NO_WECHAT_SOURCE')).toBe(true)
      expect(error).toMatchObject({ field: 'options.source', message: expect.stringContaining('options.source') })
      await expect(exchangeOAuthCode(bridge, mpKey, code)).rejects.toMatchObject({ code: 'E_NO_WECHAT_SOURCE' })
      await expect(checkSessionKey(bridge, { ...mpKey, openid: 'o-1' })).rejects.toMatchObject({
        code: 'E_NO_WECHAT_SOURCE',
      })
      await expect(resetSessionKey(bridge, { ...mpKey, openid: 'o-1' })).rejects.toMatchObject({
        code: 'E_NO_WECHAT_SOURCE',
      })
    }
    expect(fake.calls('jscode2session')).toBe(0)
  })

  it("options.source stands in when the bridge's source is something else", async () => {
    world = await startWorld()
    const { fake, source } = world
    const bridge = bridgeWith({ apps, source: notWechat })
    const info = await code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-2' }), { source })
    expect(info.session_key).toBe(fake.sessionKeyOf(MP.appid, 'o-2'))
    expect(await bridge.getSessionKey({ ...mpKey, openid: 'o-2' })).toEqual({ session_key: info.session_key })
    expect(fake.calls('jscode2session')).toBe(1)
  })

  it('an app configured without a secret, or not at all, is E_APP_NOT_CONFIGURED naming the appid, before any platform call', async () => {
    world = await startWorld()
    const { fake } = world
    const bridge = bridgeWith({
      apps: [{ platform: 'weixin-mp', appid: MP.appid }],
      source: wechatSource({ baseUrl: fake.url }),
    })
    const code = fake.issueLoginCode(MP.appid, { openid: 'o-1' })
    for (const call of [
      () => code2Session(bridge, mpKey, code),
      () => exchangeOAuthCode(bridge, mpKey, code),
      () => code2Session(bridge, { appid: 'wxnotconfigured01', platform: 'weixin-mp' }, code),
    ]) {
      const error = await call().catch((e: unknown) => e)
      expect(isWechatError(error, 'E_APP_NOT_CONFIGURED')).toBe(true)
      expect(error).toMatchObject({
        field: 'apps',
        message: expect.stringMatching(/appid "wx(mp0000000000001|notconfigured01)"/),
      })
      const shown = JSON.stringify(error) + String((error as Error).stack)
      for (const secret of [MP.secret, H5.secret, code]) expect(shown).not.toContain(secret)
    }
    expect(fake.calls('jscode2session') + fake.calls('oauth2_access_token')).toBe(0)
  })
})

describe('exchangeOAuthCode', () => {
  it('stores the user access token with its refresh_token, and the refresh_token in its own record; no pseudo-user', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const code = fake.issueOAuthCode(H5.appid, { openid: 'o-web', scope: 'snsapi_userinfo', unionid: 'u-web' })
    const value = await exchangeOAuthCode(bridge, h5Key, code)
    expect(value).toMatchObject({ openid: 'o-web', scope: 'snsapi_userinfo', unionid: 'u-web' })
    expect(fake.isUserTokenValid(value.access_token)).toBe(true)
    expect(await bridge.getUserAccessToken({ ...h5Key, openid: 'o-web' })).toEqual(value)
    expect(value.refresh_token).toMatch(/^REFRESH_/)
    expect(await bridge.get('user_refresh_token', { ...h5Key, openid: 'o-web' })).toEqual({
      refresh_token: value.refresh_token,
    })
    // The refresh_token lives in the value; no pseudo-user `<openid>.refresh` record any more.
    expect(await bridge.getUserAccessToken({ ...h5Key, openid: 'o-web.refresh' })).toBeNull()
  })

  it('takes a dcloudAppid key', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const value = await exchangeOAuthCode(
      bridge,
      { dcloudAppid: '__UNI__APP', platform: 'weixin-h5' },
      fake.issueOAuthCode(H5.appid, { openid: 'o-web' }),
    )
    expect(await bridge.getUserAccessToken({ ...h5Key, openid: 'o-web' })).toEqual(value)
  })
})

describe('JS-SDK signatures', () => {
  const ticket = 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg'

  it('matches the documented vector computed by hand, with the #fragment stripped', async () => {
    world = await startWorld()
    await world.bridge.setTicket(h5Key, { ticket }, 3600)
    const expected = createHash('sha1')
      .update(
        `jsapi_ticket=${ticket}&noncestr=Wm3WZYTPz0wzccnW&timestamp=1414587457&url=http://mp.weixin.qq.com?params=value`,
      )
      .digest('hex')
    // The vector of WeChat's JS-SDK documentation (appendix 1).
    expect(expected).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed')
    const signed = await jsapiSignature(world.bridge, h5Key, {
      url: 'http://mp.weixin.qq.com?params=value#/spa/route?x=1',
      nonceStr: 'Wm3WZYTPz0wzccnW',
      timestamp: 1414587457,
    })
    expect(signed).toEqual({
      appId: H5.appid,
      timestamp: 1414587457,
      nonceStr: 'Wm3WZYTPz0wzccnW',
      signature: expected,
    })
  })

  it('fetches the ticket through the bridge when none is stored, and fresh nonces differ', async () => {
    world = await startWorld()
    const a = await jsapiSignature(world.bridge, h5Key, { url: 'https://example.com/page' })
    const b = await jsapiSignature(world.bridge, h5Key, { url: 'https://example.com/page' })
    expect(a.nonceStr).not.toBe(b.nonceStr)
    expect(world.fake.calls('getticket')).toBe(1)
    const stored = await world.bridge.getTicket(h5Key)
    expect(a.signature).toBe(
      createHash('sha1')
        .update(
          `jsapi_ticket=${stored!.ticket}&noncestr=${a.nonceStr}&timestamp=${a.timestamp}&url=https://example.com/page`,
        )
        .digest('hex'),
    )
  })

  it('takes a dcloudAppid key and signs with the platform appid', async () => {
    world = await startWorld()
    await world.bridge.setTicket(h5Key, { ticket }, 3600)
    const byDcloud = { dcloudAppid: '__UNI__APP', platform: 'weixin-h5' } as const
    const signed = await jsapiSignature(world.bridge, byDcloud, {
      url: 'https://example.com/p',
      nonceStr: 'n',
      timestamp: 1,
    })
    expect(signed).toEqual({
      appId: H5.appid,
      timestamp: 1,
      nonceStr: 'n',
      signature: createHash('sha1')
        .update(`jsapi_ticket=${ticket}&noncestr=n&timestamp=1&url=https://example.com/p`)
        .digest('hex'),
    })
    await world.bridge.setTicket({ ...h5Key, ticketType: 'wx_card' }, { ticket: 'CARD' }, 3600)
    const card = await cardSignature(world.bridge, byDcloud, { nonceStr: 'n', timestamp: 1 })
    expect(card.signature).toBe(createHash('sha1').update('1CARDn').digest('hex'))
  })

  it('rejects a URL that is not absolute', async () => {
    world = await startWorld()
    await expect(jsapiSignature(world.bridge, h5Key, { url: '/relative' })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'url',
    })
  })

  it('wx_card: sha1 of the sorted values concatenated, with the wx_card ticket', async () => {
    world = await startWorld()
    await world.bridge.setTicket({ ...h5Key, ticketType: 'wx_card' }, { ticket: 'CARD_TICKET_xyz' }, 3600)
    const signed = await cardSignature(world.bridge, h5Key, {
      cardId: 'pCard123',
      nonceStr: 'abc',
      timestamp: 1500000000,
    })
    // Sorted by hand: '1500000000' < 'CARD_TICKET_xyz' < 'abc' < 'pCard123' (ASCII).
    expect(signed.signature).toBe(createHash('sha1').update('1500000000CARD_TICKET_xyzabcpCard123').digest('hex'))
  })
})

describe('decryptUserData', () => {
  const sessionKey = randomBytes(16).toString('base64')
  const iv = randomBytes(16).toString('base64')
  function encrypt(payload: unknown): string {
    const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), Buffer.from(iv, 'base64'))
    return Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final()]).toString('base64')
  }

  it('round-trips data whose watermark names the app', () => {
    const payload = { phoneNumber: '13800000000', watermark: { appid: MP.appid, timestamp: 1700000000 } }
    expect(decryptUserData({ sessionKey, iv, appid: MP.appid, encryptedData: encrypt(payload) })).toEqual(payload)
  })

  it('rejects a watermark of another app', () => {
    const encryptedData = encrypt({ phoneNumber: '13800000000', watermark: { appid: 'wxsomeoneelse', timestamp: 1 } })
    expect(() => decryptUserData({ sessionKey, iv, appid: MP.appid, encryptedData })).toThrow(
      expect.objectContaining({ code: 'E_WATERMARK_MISMATCH', field: 'watermark.appid' }),
    )
    expect(() =>
      decryptUserData({ sessionKey, iv, appid: MP.appid, encryptedData: encrypt({ no: 'watermark' }) }),
    ).toThrow(expect.objectContaining({ code: 'E_WATERMARK_MISMATCH' }))
  })

  it('a wrong key or tampered ciphertext is E_DECRYPT, never a raw crypto error', () => {
    const encryptedData = encrypt({ watermark: { appid: MP.appid } })
    const wrongKey = randomBytes(16).toString('base64')
    const tampered = Buffer.from(encryptedData, 'base64')
    tampered[tampered.length - 1]! ^= 0xff
    for (const input of [
      { sessionKey: wrongKey, iv, appid: MP.appid, encryptedData },
      { sessionKey, iv, appid: MP.appid, encryptedData: tampered.toString('base64') },
    ]) {
      expect(() => decryptUserData(input)).toThrow(expect.objectContaining({ code: 'E_DECRYPT' }))
    }
    expect(() => decryptUserData({ sessionKey: 'c2hvcnQ=', iv, appid: MP.appid, encryptedData })).toThrow(
      expect.objectContaining({ code: 'E_DECRYPT', field: 'sessionKey' }),
    )
  })
})

describe('newestEncryptKey', () => {
  it('answers the newest version, stores every one under its version; null off weixin-mp or for an empty list', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const { openid } = await code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-new' }))
    const first = fake.rotateEncryptKey(MP.appid, openid)
    const second = fake.rotateEncryptKey(MP.appid, openid)
    const newest = await newestEncryptKey(bridge, { ...mpKey, openid })
    expect(newest).toMatchObject({ version: second.version, value: { encrypt_key: second.encrypt_key, iv: second.iv } })
    expect(newest!.expiresIn).toBeGreaterThan(0)
    expect(await bridge.getEncryptKey({ ...mpKey, openid, version: first.version })).toMatchObject({
      encrypt_key: first.encrypt_key,
    })
    expect(await newestEncryptKey(bridge, { ...h5Key, openid })).toBeNull()
    fake.inject('getuserencryptkey', { errcode: 0 })
    expect(await newestEncryptKey(bridge, { ...mpKey, openid })).toBeNull()
  })
})
