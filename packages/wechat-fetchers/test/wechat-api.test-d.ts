/**
 * Type tests of `@open-bridge/wechat-fetchers`' public API: `wechatSource` options, the helpers' signatures and
 * the error codes. Checked by tsc (vitest typecheck), never executed.
 */
import {
  createBridge,
  memoryStore,
  type AppKey,
  type CredentialBridge,
  type CredentialSource,
  type UserAccessTokenValue,
  type UserKey,
} from '@open-bridge/core'
import {
  PlatformApiError,
  WechatError,
  type WechatSource,
  cardSignature,
  checkSessionKey,
  componentApi,
  type AuthorizationInfo,
  type AuthorizerListEntry,
  type ComponentApi,
  code2Session,
  decryptUserData,
  exchangeOAuthCode,
  isWechatError,
  jsapiSignature,
  resetSessionKey,
  wechatSource,
  type AccessTokenMode,
  type ErrcodeCategory,
  type JsapiSignature,
  type SessionInfo,
  type WechatErrorCode,
  type WechatSourceOptions,
  type WeixinPlatform,
} from '@open-bridge/wechat-fetchers'
import { Agent } from 'undici'
import { describe, expectTypeOf, test } from 'vitest'

declare const bridge: CredentialBridge
declare const caught: unknown
const app = { dcloudAppid: '__UNI__1', platform: 'weixin-mp' } as const satisfies AppKey
const user = { appid: 'wx1', platform: 'weixin-mp', openid: 'o1' } as const satisfies UserKey

describe('wechatSource options', () => {
  test('every option is optional; the result is a CredentialSource for createBridge', () => {
    expectTypeOf(wechatSource()).toEqualTypeOf<WechatSource>()
    expectTypeOf(wechatSource()).toExtend<CredentialSource>()
    expectTypeOf(createBridge).toBeCallableWith({ stores: [memoryStore()], source: wechatSource() })
  })

  test('the typed options', () => {
    expectTypeOf(wechatSource).toBeCallableWith({
      baseUrl: { weixin: 'http://127.0.0.1:9000', qq: 'http://127.0.0.1:9001' },
      dispatcher: new Agent(),
      accessTokenMode: { 'weixin-h5': 'classic', 'weixin-mp': 'stable' },
      retry: { retries: 2, minDelayMs: 200, maxDelayMs: 3_000 },
      timeouts: { connectMs: 5_000, headersMs: 10_000, bodyMs: 10_000 },
      expiryMarginSeconds: 60,
    })
    expectTypeOf(wechatSource).toBeCallableWith({ baseUrl: 'http://127.0.0.1:9000' })
    expectTypeOf<AccessTokenMode>().toEqualTypeOf<'stable' | 'classic'>()
    expectTypeOf<WeixinPlatform>().toEqualTypeOf<'weixin-mp' | 'weixin-h5' | 'weixin-web' | 'weixin-app'>()
  })

  test('wrong options do not compile', () => {
    // @ts-expect-error accessTokenMode is per WeChat platform (QQ has one endpoint)
    wechatSource({ accessTokenMode: { 'qq-mp': 'stable' } })
    // @ts-expect-error a mode is 'stable' or 'classic'
    wechatSource({ accessTokenMode: { 'weixin-mp': 'fast' } })
    // @ts-expect-error baseUrl hosts are weixin and qq
    wechatSource({ baseUrl: { wechat: 'http://127.0.0.1:9000' } })
    // @ts-expect-error timeouts are numbers of ms
    wechatSource({ timeouts: { connectMs: '5s' } })
    // @ts-expect-error no such retry option
    wechatSource({ retry: { attempts: 3 } })
    // @ts-expect-error the appsecret comes from createBridge({ apps }), never from the source
    wechatSource({ appsecret: 's' })
  })

  test('the options type', () => {
    expectTypeOf<WechatSourceOptions['expiryMarginSeconds']>().toEqualTypeOf<number | undefined>()
  })
})

describe('helpers', () => {
  test('code2Session(bridge, appKey, code, options?) resolves the SessionInfo', () => {
    expectTypeOf(code2Session(bridge, app, 'js-code')).toEqualTypeOf<Promise<SessionInfo>>()
    expectTypeOf(code2Session).toBeCallableWith(bridge, app, 'js-code', {
      source: wechatSource(),
      sessionKeyTtlSeconds: -1,
    })
    expectTypeOf<SessionInfo>().toEqualTypeOf<{ openid: string; unionid?: string; session_key: string }>()
    // @ts-expect-error the code is a string
    void code2Session(bridge, app, 123)
    // @ts-expect-error the first argument is a bridge
    void code2Session(wechatSource(), app, 'js-code')
    // @ts-expect-error sessionKeyTtlSeconds is a number of seconds
    void code2Session(bridge, app, 'js-code', { sessionKeyTtlSeconds: '3d' })
    // @ts-expect-error source is a wechatSource()
    void code2Session(bridge, app, 'js-code', { source: {} })
  })

  test('checkSessionKey and resetSessionKey take a user key', () => {
    expectTypeOf(checkSessionKey(bridge, user)).toEqualTypeOf<Promise<boolean>>()
    expectTypeOf(resetSessionKey(bridge, user)).toEqualTypeOf<Promise<{ session_key: string }>>()
    // @ts-expect-error a user key needs an openid
    void checkSessionKey(bridge, app)
    // @ts-expect-error a user key needs an openid
    void resetSessionKey(bridge, app)
  })

  test('exchangeOAuthCode resolves the user token with its openid', () => {
    expectTypeOf(exchangeOAuthCode(bridge, app, 'code')).toEqualTypeOf<
      Promise<UserAccessTokenValue & { openid: string }>
    >()
    // @ts-expect-error the code is a string
    void exchangeOAuthCode(bridge, app)
  })

  test('jsapiSignature needs the page url; cardSignature takes optional card fields', () => {
    expectTypeOf(jsapiSignature(bridge, app, { url: 'https://example.com/page' })).toEqualTypeOf<
      Promise<JsapiSignature>
    >()
    expectTypeOf<JsapiSignature>().toEqualTypeOf<{
      appId: string
      timestamp: number
      nonceStr: string
      signature: string
    }>()
    expectTypeOf(cardSignature(bridge, app)).toEqualTypeOf<
      Promise<{ timestamp: number; nonceStr: string; signature: string }>
    >()
    expectTypeOf(cardSignature).toBeCallableWith(bridge, app, { cardId: 'c', code: '1', timestamp: 1, nonceStr: 'n' })
    // @ts-expect-error url is required
    void jsapiSignature(bridge, app, {})
    // @ts-expect-error timestamp is a number of seconds
    void jsapiSignature(bridge, app, { url: 'https://example.com', timestamp: '1' })
    // @ts-expect-error no such card field
    void cardSignature(bridge, app, { card_id: 'c' })
  })

  test('decryptUserData returns the caller type with its watermark', () => {
    const input = { sessionKey: 's', encryptedData: 'e', iv: 'i', appid: 'wx1' }
    const phone = decryptUserData<{ phoneNumber: string }>(input)
    expectTypeOf(phone.phoneNumber).toEqualTypeOf<string>()
    expectTypeOf(phone.watermark).toEqualTypeOf<{ appid: string; timestamp?: number }>()
    expectTypeOf(decryptUserData(input)).toExtend<Record<string, unknown>>()
    expectTypeOf(decryptUserData(input)).not.toBeAny()
    // @ts-expect-error the appid whose watermark is checked is required
    decryptUserData({ sessionKey: 's', encryptedData: 'e', iv: 'i' })
  })
})

describe('errors', () => {
  test('WechatError code is the package union', () => {
    expectTypeOf<WechatError['code']>().toEqualTypeOf<WechatErrorCode>()
    expectTypeOf<WechatError['status']>().toEqualTypeOf<number | undefined>()
    // @ts-expect-error not a wechat-fetchers code
    void new WechatError('E_REDIS_AUTH', 'x')
    const error = new WechatError('E_TIMEOUT', 'timed out', { appid: 'wx1' })
    // @ts-expect-error a code this package never throws
    void (error.code === 'E_NOPE')
  })

  test('PlatformApiError carries the errcode and its category', () => {
    expectTypeOf<PlatformApiError['errcode']>().toEqualTypeOf<number>()
    expectTypeOf<PlatformApiError['category']>().toEqualTypeOf<ErrcodeCategory>()
    expectTypeOf<PlatformApiError>().toExtend<WechatError>()
  })

  test('instanceof and isWechatError narrow', () => {
    if (caught instanceof PlatformApiError) expectTypeOf(caught.errcode).toEqualTypeOf<number>()
    if (caught instanceof WechatError) expectTypeOf(caught.code).toEqualTypeOf<WechatErrorCode>()
    if (isWechatError(caught)) expectTypeOf(caught).toEqualTypeOf<WechatError>()
    // @ts-expect-error not a wechat-fetchers code
    isWechatError(caught, 'E_CLOSED')
  })
})

describe('componentApi (the Open Platform transport)', () => {
  test('types each call and refuses what is not one', async () => {
    const api = componentApi({ componentAppid: 'wx0000000000000001', componentSecret: 's' }, { baseUrl: 'http://x' })
    expectTypeOf(api).toEqualTypeOf<ComponentApi>()
    expectTypeOf(await api.componentToken('t')).toEqualTypeOf<{ componentAccessToken: string; expiresIn: number }>()
    expectTypeOf(await api.queryAuth('t', 'c')).toEqualTypeOf<AuthorizationInfo>()
    expectTypeOf(await api.allAuthorizers('t')).toEqualTypeOf<AuthorizerListEntry[]>()
    // @ts-expect-error the transport options only: no accessTokenMode here
    componentApi({ componentAppid: 'wx0000000000000001', componentSecret: 's' }, { accessTokenMode: {} })
    // @ts-expect-error a page needs a count
    void api.authorizerList('t', { offset: 0 })
  })
})
