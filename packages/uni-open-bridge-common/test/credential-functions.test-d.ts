/**
 * Type tests of the uni-open-bridge-common drop-in: the fifteen functions with the parameters and results
 * uni-open-bridge documents (key fields per kind, value objects, `expiresIn` seconds, `fallback` resolving
 * `{ value, duration }`), the four `refresh*`, `configure` and the errors. Checked by tsc, never executed.
 */
import type {
  AccessTokenValue,
  CredentialBridge,
  EncryptKeyValue,
  SessionKeyValue,
  TicketValue,
  UserAccessTokenValue,
} from '@open-bridge/core'
import type { UniCalls, UniEncryptKeyKey } from '@open-bridge/server'
import * as common from '@open-bridge/uni-open-bridge-common'
import {
  UniCommonError,
  close,
  configure,
  getAccessToken,
  getBridge,
  getEncryptKey,
  getSessionKey,
  getTicket,
  getUserAccessToken,
  isUniCommonError,
  refreshAccessToken,
  refreshEncryptKey,
  refreshTicket,
  refreshUserAccessToken,
  removeAccessToken,
  removeEncryptKey,
  removeSessionKey,
  removeTicket,
  removeUserAccessToken,
  setAccessToken,
  setEncryptKey,
  setSessionKey,
  setTicket,
  setUserAccessToken,
  type UniCommonErrorCode,
} from '@open-bridge/uni-open-bridge-common'
import { describe, expectTypeOf, test } from 'vitest'

declare const caught: unknown
const app = { dcloudAppid: '__UNI__1', platform: 'weixin-mp' } as const
const user = { dcloudAppid: '__UNI__1', platform: 'weixin-mp', openid: 'o1' } as const
const encrypt = { ...user, version: 1 } as const

describe('the fifteen functions', () => {
  test('get* resolve the value object of their kind or null', () => {
    expectTypeOf(getAccessToken(app)).toEqualTypeOf<Promise<AccessTokenValue | null>>()
    expectTypeOf(getUserAccessToken(user)).toEqualTypeOf<Promise<UserAccessTokenValue | null>>()
    expectTypeOf(getSessionKey(user)).toEqualTypeOf<Promise<SessionKeyValue | null>>()
    expectTypeOf(getEncryptKey(encrypt)).toEqualTypeOf<Promise<EncryptKeyValue | null>>()
    expectTypeOf(getTicket(app)).toEqualTypeOf<Promise<TicketValue | null>>()
  })

  test('set*(key, value, expiresIn?) and remove*(key) resolve nothing', () => {
    expectTypeOf(setAccessToken(app, { access_token: 'a' }, 7200)).toEqualTypeOf<Promise<void>>()
    expectTypeOf(setUserAccessToken(user, { access_token: 'a', refresh_token: 'r' })).toEqualTypeOf<Promise<void>>()
    expectTypeOf(setSessionKey(user, { session_key: 's' }, -1)).toEqualTypeOf<Promise<void>>()
    expectTypeOf(setEncryptKey(encrypt, { encrypt_key: 'k', iv: 'i' }, 3600)).toEqualTypeOf<Promise<void>>()
    expectTypeOf(setTicket(app, { ticket: 't' }, 7200)).toEqualTypeOf<Promise<void>>()
    for (const remove of [removeAccessToken(app), removeTicket(app), removeSessionKey(user)]) {
      expectTypeOf(remove).toEqualTypeOf<Promise<void>>()
    }
    expectTypeOf(removeUserAccessToken(user)).toEqualTypeOf<Promise<void>>()
    expectTypeOf(removeEncryptKey(encrypt)).toEqualTypeOf<Promise<void>>()
  })

  test('each has the bridge method signature, so destructuring is typed alike', () => {
    const { getAccessToken: get, setEncryptKey: set } = common
    expectTypeOf(get).toEqualTypeOf<CredentialBridge['getAccessToken']>()
    // An encrypt key may come without a version here (the newest key), as uni-open-bridge-common took it.
    expectTypeOf(set).toEqualTypeOf<UniCalls['setEncryptKey']>()
    expectTypeOf(common.setEncryptKey).parameter(0).toEqualTypeOf<UniEncryptKeyKey>()
    expectTypeOf(common.removeSessionKey).toEqualTypeOf<CredentialBridge['removeSessionKey']>()
    expectTypeOf(common.getTicket).not.toBeAny()
  })

  test('expiresIn is a number of seconds', () => {
    expectTypeOf(setAccessToken).parameter(2).toEqualTypeOf<number | undefined>()
    // @ts-expect-error not a string
    void setTicket(app, { ticket: 't' }, '7200')
  })

  test('a fallback is async (key) => ({ value, duration })', () => {
    void getAccessToken(app, async (key) => {
      expectTypeOf(key.platform).toEqualTypeOf<
        'weixin-mp' | 'weixin-h5' | 'weixin-web' | 'weixin-app' | 'qq-mp' | 'qq-app'
      >()
      return { value: { access_token: 'a' }, duration: 7200 }
    })
    void getSessionKey(user, async (key) => {
      expectTypeOf(key.openid).toEqualTypeOf<string>()
      return { value: { session_key: 's' }, duration: -1 }
    })
    // @ts-expect-error duration is required
    void getTicket(app, async () => ({ value: { ticket: 't' } }))
  })
})

describe('keys and values per kind, as uni-open-bridge documents them', () => {
  test('user kinds need an openid; encrypt keys a numeric version', () => {
    // @ts-expect-error no openid
    void getUserAccessToken(app)
    // @ts-expect-error no openid
    void setSessionKey(app, { session_key: 's' })
    // No version: the newest key (uni-open-bridge-common accepted a key without one).
    expectTypeOf(getEncryptKey(user)).toEqualTypeOf<Promise<EncryptKeyValue | null>>()
    // @ts-expect-error version is a number
    void removeEncryptKey({ ...user, version: '2' })
  })

  test('app kinds refuse user fields; every key needs platform and dcloudAppid or appid', () => {
    // @ts-expect-error an access_token key has no openid
    void getAccessToken({ dcloudAppid: '__UNI__1', platform: 'weixin-mp', openid: 'o1' })
    // @ts-expect-error no platform
    void getTicket({ dcloudAppid: '__UNI__1' })
    // @ts-expect-error uni-app platform names (mp-weixin) are not key platforms (weixin-mp)
    void getAccessToken({ dcloudAppid: '__UNI__1', platform: 'mp-weixin' })
    // @ts-expect-error neither dcloudAppid nor appid
    void removeAccessToken({ platform: 'weixin-h5' })
  })

  test('a value of another kind, or not an object, does not compile', () => {
    // @ts-expect-error an access_token value holds access_token
    void setAccessToken(app, { ticket: 't' })
    // @ts-expect-error an encrypt_key value holds encrypt_key and iv
    void setEncryptKey(encrypt, { encrypt_key: 'k' })
    // @ts-expect-error a value is an object
    void setTicket(app, 't')
  })
})

describe('refresh* (compare-and-refresh)', () => {
  test('take { ifValue } and resolve the value of their kind', () => {
    expectTypeOf(refreshAccessToken(app, { ifValue: 'dead' })).toEqualTypeOf<Promise<AccessTokenValue | null>>()
    expectTypeOf(refreshUserAccessToken(user)).toEqualTypeOf<Promise<UserAccessTokenValue | null>>()
    expectTypeOf(refreshEncryptKey(encrypt)).toEqualTypeOf<Promise<EncryptKeyValue | null>>()
    expectTypeOf(refreshTicket(app)).toEqualTypeOf<Promise<TicketValue | null>>()
    // @ts-expect-error ifValue is the rejected credential string
    void refreshAccessToken(app, { ifValue: 1 })
  })

  test('session_key has no refresh', () => {
    expectTypeOf(common).not.toHaveProperty('refreshSessionKey')
  })
})

describe('configure, getBridge, close and errors', () => {
  test('configure takes the config locations or a bridge', () => {
    expectTypeOf(configure).toBeCallableWith({ configPath: './open-bridge.config.json', stores: ['memory'] })
    expectTypeOf(configure).toBeCallableWith({ bridge: {} as CredentialBridge })
    expectTypeOf(configure()).toEqualTypeOf<Promise<void>>()
    expectTypeOf(getBridge()).toEqualTypeOf<Promise<CredentialBridge>>()
    expectTypeOf(close()).toEqualTypeOf<Promise<void>>()
    // @ts-expect-error stores is an array of URLs
    void configure({ stores: 'memory' })
    // @ts-expect-error no such option
    void configure({ config: './open-bridge.config.json' })
  })

  test('UniCommonError code is the package union', () => {
    expectTypeOf<UniCommonErrorCode>().toEqualTypeOf<
      'E_NO_CONFIG' | 'E_INVALID_OPTIONS' | 'E_INVALID_ENV' | 'E_UNSUPPORTED'
    >()
    expectTypeOf<UniCommonError['code']>().toEqualTypeOf<UniCommonErrorCode>()
    if (isUniCommonError(caught)) expectTypeOf(caught.code).toEqualTypeOf<UniCommonErrorCode>()
    // @ts-expect-error not a code of this package
    void new UniCommonError('E_INVALID_KEY', 'x')
  })
})
