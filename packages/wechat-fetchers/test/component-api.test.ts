import { afterEach, describe, expect, it } from 'vitest'
import { componentApi, isWechatError, type ComponentApi } from '@open-bridge/wechat-fetchers'
import { everyRendering } from '@open-bridge/core/testing'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const COMPONENT = {
  appid: 'wx3c0mp0nent000001',
  secret: 'component-secret-7f3e2d1c0b9a',
  token: 'componentPushToken1',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const ACCOUNT = 'wxauth0r1zer000001'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(): Promise<{ fake: FakeWeChat; api: ComponentApi }> {
  const fake = await startFakeWeChat({ components: [COMPONENT] })
  const api = componentApi(
    { componentAppid: COMPONENT.appid, componentSecret: COMPONENT.secret },
    { baseUrl: fake.url, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 } },
  )
  cleanups.push(
    () => fake.close(),
    () => api.close(),
  )
  return { fake, api }
}

/** The error `promise` rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
  expect(isWechatError(error)).toBe(true)
  return error as Record<string, unknown>
}

describe('componentApi against the fake Open Platform', () => {
  it('ticket → component token → pre-auth code → authorisation page → query_auth → authorizer token', async () => {
    const { fake, api } = await start()
    const { ticket } = await fake.pushTicket(COMPONENT.appid)
    const { componentAccessToken, expiresIn } = await api.componentToken(ticket)
    expect(expiresIn).toBe(7200)
    const { preAuthCode } = await api.createPreAuthCode(componentAccessToken)
    const page = new URL(api.authorizationPageUrl({ preAuthCode, redirectUri: 'https://saas.example/authorized?x=1' }))
    expect(page.origin + page.pathname).toBe('https://mp.weixin.qq.com/cgi-bin/componentloginpage')
    expect(Object.fromEntries(page.searchParams)).toEqual({
      component_appid: COMPONENT.appid,
      pre_auth_code: preAuthCode,
      redirect_uri: 'https://saas.example/authorized?x=1',
      auth_type: '3',
    })
    const { authorizationCode } = await fake.authorize(COMPONENT.appid, ACCOUNT, { funcIds: [1, 15, 18] })
    const info = await api.queryAuth(componentAccessToken, authorizationCode)
    expect(info).toMatchObject({
      authorizerAppid: ACCOUNT,
      expiresIn: 7200,
      authorizerRefreshToken: fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT),
      funcIds: [1, 15, 18],
    })
    expect(fake.isTokenValid(info.authorizerAccessToken)).toBe(true)
    const renewed = await api.authorizerToken(componentAccessToken, ACCOUNT, info.authorizerRefreshToken)
    expect(renewed.authorizerRefreshToken).toBe(info.authorizerRefreshToken)
    expect(renewed.authorizerAccessToken).not.toBe(info.authorizerAccessToken)
    expect(fake.isTokenValid(renewed.authorizerAccessToken)).toBe(true)
  })

  it('allAuthorizers pages through every account (1,203 accounts: 3 pages of ≤ 500) with its refresh token', async () => {
    const { fake, api } = await start()
    const accounts = Array.from({ length: 1_203 }, (_, i) => `wxacc${String(i).padStart(13, '0')}`)
    for (const account of accounts) await fake.authorize(COMPONENT.appid, account)
    const { componentAccessToken } = await api.componentToken((await fake.pushTicket(COMPONENT.appid)).ticket)
    fake.resetCalls()
    const all = await api.allAuthorizers(componentAccessToken)
    expect(fake.calls('get_authorizer_list')).toBe(3)
    expect(all.map((entry) => entry.authorizerAppid)).toEqual(accounts)
    expect(
      all.every((entry) => entry.refreshToken === fake.authorizerRefreshToken(COMPONENT.appid, entry.authorizerAppid)),
    ).toBe(true)
  })

  it('platform refusals are PlatformApiErrors with their errcode, never retried, secrets and tickets masked', async () => {
    const { fake, api } = await start()
    const stale = await failure(api.componentToken('ticket@@@never-pushed'))
    expect(stale).toMatchObject({ code: 'E_PLATFORM_API', errcode: 61006, category: 'config' })
    expect(fake.calls('component_token')).toBe(1)
    const { componentAccessToken } = await api.componentToken((await fake.pushTicket(COMPONENT.appid)).ticket)
    await fake.authorize(COMPONENT.appid, ACCOUNT)
    const wrongRefresh = await failure(api.authorizerToken(componentAccessToken, ACCOUNT, 'refreshtoken@@@LEAKED-9'))
    expect(wrongRefresh).toMatchObject({ errcode: 61023, category: 'config' })
    expect(everyRendering(wrongRefresh)).not.toContain('refreshtoken@@@LEAKED-9')
    expect(everyRendering(wrongRefresh)).not.toContain(componentAccessToken)
    const notAuthorised = await failure(api.authorizerToken(componentAccessToken, 'wxnotauthorized01', 'x'))
    expect(notAuthorised).toMatchObject({ errcode: 61003 })
    // A transient failure is retried; a ticket exchange is not (a lost answer must not spend a second call).
    fake.inject('authorizer_token', { errcode: -1 })
    const refresh = fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT)!
    await expect(api.authorizerToken(componentAccessToken, ACCOUNT, refresh)).resolves.toMatchObject({
      authorizerRefreshToken: refresh,
    })
    fake.resetCalls()
    fake.inject('component_token', { errcode: -1 })
    const busy = await failure(api.componentToken((await fake.pushTicket(COMPONENT.appid)).ticket))
    expect(busy).toMatchObject({ errcode: -1 })
    expect(fake.calls('component_token')).toBe(1)
  })

  it('a wrong secret is 40125 and the secret appears in no rendering of the error', async () => {
    const { fake } = await start()
    const api = componentApi(
      { componentAppid: COMPONENT.appid, componentSecret: 'WRONG-SECRET-0451' },
      { baseUrl: fake.url },
    )
    cleanups.push(() => api.close())
    const { ticket } = await fake.pushTicket(COMPONENT.appid)
    const error = await failure(api.componentToken(ticket))
    expect(error).toMatchObject({ errcode: 40125 })
    expect(everyRendering(error)).not.toContain('WRONG-SECRET-0451')
    expect(everyRendering(error)).not.toContain(ticket)
  })

  it.each([
    ['no credentials', () => componentApi(undefined as never), 'credentials'],
    ['a bad component appid', () => componentApi({ componentAppid: 'nope', componentSecret: 's' }), 'componentAppid'],
    [
      'an empty secret',
      () => componentApi({ componentAppid: COMPONENT.appid, componentSecret: '' }),
      'componentSecret',
    ],
  ])('refuses %s with E_INVALID_ARGUMENT naming the field', (_, make, field) => {
    expect(() => make()).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT', field }))
  })

  it('refuses bad call arguments before any call: the field is named', async () => {
    const { fake, api } = await start()
    await expect(api.componentToken('')).rejects.toMatchObject({ field: 'verifyTicket' })
    await expect(api.authorizerList('token', { offset: 0, count: 501 })).rejects.toMatchObject({ field: 'page.count' })
    await expect(api.authorizerList('token', { offset: -1, count: 5 })).rejects.toMatchObject({ field: 'page.offset' })
    await expect(api.authorizerToken('token', 'not-an-appid', 'r')).rejects.toMatchObject({ field: 'authorizerAppid' })
    await expect(api.createPreAuthCode('')).rejects.toMatchObject({ field: 'componentAccessToken' })
    expect(() => api.authorizationPageUrl({ preAuthCode: 'p', redirectUri: 'javascript:alert(1)' })).toThrow(
      expect.objectContaining({ field: 'redirectUri' }),
    )
    expect(fake.calls('component_token') + fake.calls('get_authorizer_list')).toBe(0)
  })
})
