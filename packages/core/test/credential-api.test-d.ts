/**
 * Type tests of the credential API: what each kind reads and writes, which key each kind takes, and what must
 * not compile. Checked by tsc (vitest typecheck), never executed.
 */
import {
  withAccessToken,
  withCredential,
  type AccessTokenValue,
  type AppKey,
  type CredentialBridge,
  type CredentialKind,
  type CredentialValue,
  type CredentialValues,
  type EncryptKeyKey,
  type EncryptKeyValue,
  type FallbackContext,
  type SessionKeyValue,
  type TicketKey,
  type TicketValue,
  type UserAccessTokenValue,
  type UserKey,
  type UserRefreshTokenValue,
} from '@open-bridge/core'
import { describe, expectTypeOf, test } from 'vitest'

declare const bridge: CredentialBridge
const appKey = { dcloudAppid: '__UNI__1', platform: 'weixin-mp' } as const satisfies AppKey
const byAppid = { appid: 'wx1', platform: 'weixin-h5' } as const satisfies AppKey
const userKey = { appid: 'wx1', platform: 'weixin-mp', openid: 'o1' } as const satisfies UserKey
const encryptKey = { appid: 'wx1', platform: 'weixin-mp', openid: 'o1', version: 1 } as const satisfies EncryptKeyKey
const ticketKey = { appid: 'wx1', platform: 'weixin-h5', ticketType: 'wx_card' } as const satisfies TicketKey

describe('get<K> resolves CredentialValues[K] or null', () => {
  test('each kind through the generic get', () => {
    expectTypeOf(bridge.get('access_token', appKey)).resolves.toEqualTypeOf<AccessTokenValue | null>()
    expectTypeOf(bridge.get('user_access_token', userKey)).resolves.toEqualTypeOf<UserAccessTokenValue | null>()
    expectTypeOf(bridge.get('session_key', userKey)).resolves.toEqualTypeOf<SessionKeyValue | null>()
    expectTypeOf(bridge.get('encrypt_key', encryptKey)).resolves.toEqualTypeOf<EncryptKeyValue | null>()
    expectTypeOf(bridge.get('ticket', ticketKey)).resolves.toEqualTypeOf<TicketValue | null>()
    expectTypeOf(bridge.get('user_refresh_token', userKey)).resolves.toEqualTypeOf<UserRefreshTokenValue | null>()
  })

  test('a kind only known as CredentialKind resolves the union of values', () => {
    const kind = 'ticket' as CredentialKind
    expectTypeOf(bridge.get(kind, ticketKey)).resolves.toEqualTypeOf<CredentialValue | null>()
  })

  test('the named methods resolve the same value types', () => {
    expectTypeOf(bridge.getAccessToken(appKey)).resolves.toEqualTypeOf<CredentialValues['access_token'] | null>()
    expectTypeOf(bridge.getUserAccessToken(userKey)).resolves.toEqualTypeOf<UserAccessTokenValue | null>()
    expectTypeOf(bridge.getSessionKey(userKey)).resolves.toEqualTypeOf<SessionKeyValue | null>()
    expectTypeOf(bridge.getEncryptKey(encryptKey)).resolves.toEqualTypeOf<EncryptKeyValue | null>()
    expectTypeOf(bridge.getTicket(ticketKey)).resolves.toEqualTypeOf<TicketValue | null>()
  })

  test('value fields are typed, never any', async () => {
    const token = await bridge.getAccessToken(appKey)
    expectTypeOf(token).not.toBeAny()
    expectTypeOf(token!.access_token).toEqualTypeOf<string>()
    const user = await bridge.getUserAccessToken(userKey)
    expectTypeOf(user!.refresh_token).toEqualTypeOf<string | undefined>()
    const encrypt = await bridge.getEncryptKey(encryptKey)
    expectTypeOf(encrypt!.iv).toEqualTypeOf<string>()
    // Extra platform fields are kept, as unknown.
    expectTypeOf(token!.expires_in).toEqualTypeOf<unknown>()
  })

  test('set, remove and close resolve nothing', () => {
    expectTypeOf(bridge.set('access_token', appKey, { access_token: 'a' })).resolves.toEqualTypeOf<void>()
    expectTypeOf(bridge.remove('session_key', userKey)).resolves.toEqualTypeOf<void>()
    expectTypeOf(bridge.removeTicket(ticketKey)).resolves.toEqualTypeOf<void>()
    expectTypeOf(bridge.close()).resolves.toEqualTypeOf<void>()
  })
})

describe('key shapes per kind', () => {
  test('an app key names the app by dcloudAppid or appid (or both)', () => {
    expectTypeOf(bridge.getAccessToken).toBeCallableWith({ dcloudAppid: 'd', platform: 'qq-mp' })
    expectTypeOf(bridge.getAccessToken).toBeCallableWith({ appid: 'wx1', platform: 'weixin-app' })
    expectTypeOf(bridge.getAccessToken).toBeCallableWith({ appid: 'wx1', dcloudAppid: 'd', platform: 'weixin-web' })
  })

  test('an app key without dcloudAppid or appid does not compile', () => {
    // @ts-expect-error neither dcloudAppid nor appid
    void bridge.getAccessToken({ platform: 'weixin-mp' })
  })

  test('an access_token key with an openid does not compile', () => {
    // @ts-expect-error openid belongs to user kinds
    void bridge.getAccessToken({ appid: 'wx1', platform: 'weixin-mp', openid: 'o1' })
    // @ts-expect-error the generic get checks the key of its kind the same way
    void bridge.get('access_token', { appid: 'wx1', platform: 'weixin-mp', openid: 'o1' })
  })

  test('platform is required and one of PLATFORMS', () => {
    // @ts-expect-error no platform
    void bridge.getAccessToken({ appid: 'wx1' })
    // @ts-expect-error not a platform
    void bridge.getAccessToken({ appid: 'wx1', platform: 'weixin-xx' })
  })

  test('appid and dcloudAppid are strings', () => {
    // @ts-expect-error appid is a string
    void bridge.getAccessToken({ appid: 1, platform: 'weixin-mp' })
    // @ts-expect-error dcloudAppid is a string
    void bridge.getAccessToken({ dcloudAppid: null, platform: 'weixin-mp' })
  })

  test('user kinds need an openid', () => {
    // @ts-expect-error no openid
    void bridge.getSessionKey(byAppid)
    // @ts-expect-error no openid
    void bridge.getUserAccessToken(appKey)
    // @ts-expect-error no openid
    void bridge.get('user_refresh_token', byAppid)
    // @ts-expect-error openid is a string
    void bridge.getSessionKey({ ...byAppid, openid: 1 })
  })

  test('encrypt keys need an openid and a numeric version', () => {
    // @ts-expect-error no version
    void bridge.getEncryptKey(userKey)
    // @ts-expect-error version is a number
    void bridge.getEncryptKey({ ...userKey, version: '1' })
    // @ts-expect-error no openid
    void bridge.getEncryptKey({ ...byAppid, version: 1 })
  })

  test('a ticket key takes an optional ticketType of TICKET_TYPES', () => {
    expectTypeOf(bridge.getTicket).toBeCallableWith(byAppid)
    expectTypeOf(bridge.getTicket).toBeCallableWith({ ...byAppid, ticketType: 'jsapi' })
    // @ts-expect-error not a ticket type
    void bridge.getTicket({ ...byAppid, ticketType: 'card' })
    // @ts-expect-error the generic get checks it too
    void bridge.get('ticket', { ...byAppid, ticketType: 'card' })
  })

  test('ticketType belongs to ticket keys only', () => {
    // @ts-expect-error an access_token key has no ticketType
    void bridge.getAccessToken({ appid: 'wx1', platform: 'weixin-h5', ticketType: 'jsapi' })
  })

  test('an unknown kind does not compile', () => {
    // @ts-expect-error not a credential kind
    void bridge.get('refresh_token', userKey)
  })
})

describe('value shapes on set', () => {
  test('each named setter takes its kind value, with extra platform fields', () => {
    expectTypeOf(bridge.setAccessToken).toBeCallableWith(appKey, { access_token: 'a', expires_in: 7200 }, 7200)
    expectTypeOf(bridge.setEncryptKey).toBeCallableWith(encryptKey, { encrypt_key: 'k', iv: 'i' })
    expectTypeOf(bridge.setUserAccessToken).toBeCallableWith(userKey, { access_token: 'a', refresh_token: 'r' }, -1)
  })

  test('the value of another kind does not compile', () => {
    // @ts-expect-error a ticket value is not an access_token value
    void bridge.setAccessToken(appKey, { ticket: 't' })
    // @ts-expect-error the generic set checks the value of its kind
    void bridge.set('access_token', appKey, { ticket: 't' })
    // @ts-expect-error a session_key value is not a ticket value
    void bridge.setTicket(ticketKey, { session_key: 's' })
  })

  test('an incomplete or mistyped value does not compile', () => {
    // @ts-expect-error an encrypt_key value needs its iv
    void bridge.setEncryptKey(encryptKey, { encrypt_key: 'k' })
    // @ts-expect-error access_token is a string
    void bridge.setAccessToken(appKey, { access_token: 1 })
    // @ts-expect-error a value is an object
    void bridge.setSessionKey(userKey, 'session-key')
  })

  test('expiresIn is a number of seconds', () => {
    expectTypeOf(bridge.setAccessToken).parameter(2).toEqualTypeOf<number | undefined>()
    expectTypeOf(bridge.set<'ticket'>)
      .parameter(3)
      .toEqualTypeOf<number | undefined>()
    // @ts-expect-error not a string
    void bridge.setAccessToken(appKey, { access_token: 'a' }, '7200')
  })
})

describe('fallbacks', () => {
  test('a fallback receives the key of its kind and resolves { value, duration } or nothing', () => {
    void bridge.getSessionKey(userKey, async (key, ctx) => {
      expectTypeOf(key).toEqualTypeOf<UserKey>()
      expectTypeOf(ctx).toEqualTypeOf<FallbackContext>()
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
      return { value: { session_key: 's' }, duration: 3600 }
    })
    void bridge.getAccessToken(appKey, () => null)
    void bridge.getAccessToken(appKey, () => ({ value: { access_token: 'a' }, duration: -1 }))
  })

  test('a fallback value of another kind, or one without duration, does not compile', () => {
    // @ts-expect-error a ticket value for an access_token
    void bridge.getAccessToken(appKey, async () => ({ value: { ticket: 't' }, duration: 60 }))
    // @ts-expect-error duration is required
    void bridge.getAccessToken(appKey, async () => ({ value: { access_token: 'a' } }))
    // @ts-expect-error duration is a number of seconds
    void bridge.getAccessToken(appKey, async () => ({ value: { access_token: 'a' }, duration: '60' }))
  })
})

describe('refresh(kind, key, { ifValue })', () => {
  test('resolves the value of its kind or null', () => {
    expectTypeOf(bridge.refresh('ticket', ticketKey, { ifValue: 't' })).resolves.toEqualTypeOf<TicketValue | null>()
    expectTypeOf(bridge.refreshAccessToken(appKey)).resolves.toEqualTypeOf<AccessTokenValue | null>()
    expectTypeOf(bridge.refreshUserAccessToken(userKey, {})).resolves.toEqualTypeOf<UserAccessTokenValue | null>()
    expectTypeOf(bridge.refreshEncryptKey(encryptKey)).resolves.toEqualTypeOf<EncryptKeyValue | null>()
  })

  test('ifValue is the rejected credential string; other options do not compile', () => {
    // @ts-expect-error ifValue is a string, not the value object
    void bridge.refresh('access_token', appKey, { ifValue: { access_token: 'a' } })
    // @ts-expect-error no such option
    void bridge.refreshAccessToken(appKey, { force: true })
    // @ts-expect-error the key of the kind is checked as by get
    void bridge.refresh('session_key', appKey)
  })

  test('session_key has no named refresh (the platform cannot be asked again without the user)', () => {
    expectTypeOf(bridge).not.toHaveProperty('refreshSessionKey')
  })
})

describe('withCredential and withAccessToken', () => {
  const isRejected = (error: unknown): boolean => error instanceof Error

  test('resolve what the call resolves; the call receives the credential string', () => {
    const count = withAccessToken(
      bridge,
      appKey,
      async (accessToken) => {
        expectTypeOf(accessToken).toEqualTypeOf<string>()
        return 1
      },
      isRejected,
    )
    expectTypeOf(count).toEqualTypeOf<Promise<number>>()
    const user = withCredential(bridge, 'user_access_token', userKey, async () => ({ nickname: 'n' }), isRejected)
    expectTypeOf(user).toEqualTypeOf<Promise<{ nickname: string }>>()
  })

  test('the key must fit the kind, and the call must return a promise', () => {
    // @ts-expect-error a user kind needs an openid
    void withCredential(bridge, 'session_key', appKey, async () => 1, isRejected)
    // @ts-expect-error withAccessToken takes an app key, not a user key with extra fields
    void withAccessToken(bridge, { appid: 'wx1', platform: 'weixin-mp', openid: 'o' }, async () => 1, isRejected)
    // @ts-expect-error the call returns a promise
    void withAccessToken(bridge, appKey, () => 1, isRejected)
  })
})

describe('destructured methods keep their types', () => {
  test('const { getAccessToken } = bridge', () => {
    const { getAccessToken, setTicket } = bridge
    expectTypeOf(getAccessToken).parameter(0).toEqualTypeOf<AppKey>()
    expectTypeOf(getAccessToken).returns.resolves.toEqualTypeOf<AccessTokenValue | null>()
    expectTypeOf(setTicket).parameters.toEqualTypeOf<[TicketKey, TicketValue, (number | undefined)?]>()
  })
})
