import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { messageCrypto, type DecryptedPush } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const COMPONENT = {
  appid: 'wx3c0mp0nent000001',
  secret: 'component-secret-7f3e2d1c0b9a',
  token: 'componentPushToken1',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const ACCOUNT = 'wxauth0r1zer000001'
const HOUR = 3_600_000

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The fake with one component, on a clock the test moves. */
async function start(): Promise<{ fake: FakeWeChat; clock: { now: number } }> {
  const clock = { now: Date.UTC(2026, 11, 5, 8) }
  const fake = await startFakeWeChat({ components: [COMPONENT], now: () => clock.now })
  cleanups.push(() => fake.close())
  return { fake, clock }
}

/** One JSON call to the fake, as a third-party platform's server makes it. */
async function call(fake: FakeWeChat, path: string, body?: object, query: Record<string, string> = {}) {
  const url = new URL(path, fake.url)
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
  const response = await fetch(url, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })
  return (await response.json()) as Record<string, unknown>
}

const componentToken = (fake: FakeWeChat, ticket: string | undefined) =>
  call(fake, '/cgi-bin/component/api_component_token', {
    component_appid: COMPONENT.appid,
    component_appsecret: COMPONENT.secret,
    component_verify_ticket: ticket,
  })

/** A receiver as a user writes one: verifies and decrypts with the package's own message crypto. */
async function startReceiver(): Promise<{ url: string; pushes: DecryptedPush[] }> {
  const crypto = messageCrypto({
    token: COMPONENT.token,
    encodingAESKey: COMPONENT.encodingAESKey,
    receiveId: COMPONENT.appid,
  })
  const pushes: DecryptedPush[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += String(chunk)
    })
    req.on('end', () => {
      pushes.push(crypto.decryptPush(new URL(req.url ?? '/', 'http://r').searchParams, body))
      res.end('success')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, pushes }
}

describe('fake Open Platform: component_verify_ticket and component token', () => {
  it('pushes the ticket encrypted to the authorisation event URL; the receiver reads it and answers success', async () => {
    const { fake } = await start()
    const receiver = await startReceiver()
    const { ticket, sent } = await fake.pushTicket(COMPONENT.appid, receiver.url)
    expect(sent?.reply.success).toBe(true)
    expect(ticket).toMatch(/^ticket@@@/)
    expect(receiver.pushes[0]?.fields).toMatchObject({
      AppId: COMPONENT.appid,
      InfoType: 'component_verify_ticket',
      ComponentVerifyTicket: ticket,
    })
    // The ticket travels only inside the ciphertext.
    expect(sent?.body).not.toContain(ticket)
  })

  it('a pushed ticket buys a component token; none or an unknown one is 61006, one past 12 h 61005', async () => {
    const { fake, clock } = await start()
    expect(await componentToken(fake, undefined)).toMatchObject({ errcode: 61006 })
    expect(await componentToken(fake, 'ticket@@@never-pushed')).toMatchObject({ errcode: 61006 })
    const { ticket } = await fake.pushTicket(COMPONENT.appid)
    expect(await componentToken(fake, ticket)).toMatchObject({
      component_access_token: expect.any(String),
      expires_in: 7200,
    })
    clock.now += 12 * HOUR - 1_000
    expect(await componentToken(fake, ticket)).toMatchObject({ component_access_token: expect.any(String) })
    clock.now += 1_000
    expect(await componentToken(fake, ticket)).toMatchObject({ errcode: 61005 })
    // The previous ticket is still good while it is within 12 h: a newer push does not end it.
    const { ticket: next } = await fake.pushTicket(COMPONENT.appid)
    const { ticket: newest } = await fake.pushTicket(COMPONENT.appid)
    expect(await componentToken(fake, next)).toMatchObject({ component_access_token: expect.any(String) })
    expect(await componentToken(fake, newest)).toMatchObject({ component_access_token: expect.any(String) })
  })

  it('a wrong secret is 40125, an unknown component 61011; api_start_push_ticket is counted', async () => {
    const { fake } = await start()
    const { ticket } = await fake.pushTicket(COMPONENT.appid)
    expect(
      await call(fake, '/cgi-bin/component/api_component_token', {
        component_appid: COMPONENT.appid,
        component_appsecret: 'wrong',
        component_verify_ticket: ticket,
      }),
    ).toMatchObject({ errcode: 40125 })
    expect(
      await call(fake, '/cgi-bin/component/api_component_token', {
        component_appid: 'wxnotacomponent001',
        component_appsecret: COMPONENT.secret,
        component_verify_ticket: ticket,
      }),
    ).toMatchObject({ errcode: 61011 })
    expect(
      await call(fake, '/cgi-bin/component/api_start_push_ticket', {
        component_appid: COMPONENT.appid,
        component_secret: COMPONENT.secret,
      }),
    ).toMatchObject({ errcode: 0 })
    expect(fake.pushTicketRequests(COMPONENT.appid)).toBe(1)
    expect(fake.calls('component_token')).toBe(2)
  })

  it('a new component token leaves the previous one the 5-minute grace window, then 42001', async () => {
    const { fake, clock } = await start()
    const { ticket } = await fake.pushTicket(COMPONENT.appid)
    const first = String((await componentToken(fake, ticket)).component_access_token)
    await componentToken(fake, ticket)
    const preauth = (token: string) =>
      call(
        fake,
        '/cgi-bin/component/api_create_preauthcode',
        { component_appid: COMPONENT.appid },
        { component_access_token: token },
      )
    expect(await preauth(first)).toMatchObject({ pre_auth_code: expect.any(String), expires_in: 600 })
    clock.now += 300_000
    expect(await preauth(first)).toMatchObject({ errcode: 42001 })
    // An app's access_token is not a component token.
    expect(await preauth('CLASSIC_not_a_token')).toMatchObject({ errcode: 40001 })
  })
})

describe('fake Open Platform: authorised accounts', () => {
  async function authorised() {
    const { fake, clock } = await start()
    const { ticket } = await fake.pushTicket(COMPONENT.appid)
    const token = String((await componentToken(fake, ticket)).component_access_token)
    const post = (path: string, body: object) => call(fake, path, body, { component_access_token: token })
    return { fake, clock, token, post }
  }

  it('authorize pushes `authorized`; api_query_auth gives the account token and refresh token; business calls accept the token', async () => {
    const { fake, post } = await authorised()
    const receiver = await startReceiver()
    const { authorizationCode, sent } = await fake.authorize(COMPONENT.appid, ACCOUNT, { url: receiver.url })
    expect(sent?.reply.success).toBe(true)
    expect(receiver.pushes[0]?.fields).toMatchObject({
      InfoType: 'authorized',
      AuthorizerAppid: ACCOUNT,
      AuthorizationCode: authorizationCode,
    })
    const answer = await post('/cgi-bin/component/api_query_auth', {
      component_appid: COMPONENT.appid,
      authorization_code: authorizationCode,
    })
    const info = answer.authorization_info as Record<string, unknown>
    expect(info).toMatchObject({
      authorizer_appid: ACCOUNT,
      expires_in: 7200,
      authorizer_refresh_token: fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT),
    })
    expect(fake.isTokenValid(String(info.authorizer_access_token))).toBe(true)
    // The code is single use.
    expect(
      await post('/cgi-bin/component/api_query_auth', {
        component_appid: COMPONENT.appid,
        authorization_code: authorizationCode,
      }),
    ).toMatchObject({ errcode: 61010 })
    // Authorising again is `updateauthorized`, and keeps the refresh token.
    const before = fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT)
    await fake.authorize(COMPONENT.appid, ACCOUNT, { url: receiver.url })
    expect(receiver.pushes[1]?.fields.InfoType).toBe('updateauthorized')
    expect(fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT)).toBe(before)
  })

  it('api_authorizer_token: a new token, the old one lives the grace window; a wrong refresh token is 61023', async () => {
    const { fake, clock, post } = await authorised()
    await fake.authorize(COMPONENT.appid, ACCOUNT)
    const refresh = fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT)!
    const renew = (refreshToken: string) =>
      post('/cgi-bin/component/api_authorizer_token', {
        component_appid: COMPONENT.appid,
        authorizer_appid: ACCOUNT,
        authorizer_refresh_token: refreshToken,
      })
    const first = await renew(refresh)
    expect(first).toMatchObject({ expires_in: 7200, authorizer_refresh_token: refresh })
    const second = await renew(refresh)
    expect(second.authorizer_access_token).not.toBe(first.authorizer_access_token)
    expect(fake.isTokenValid(String(first.authorizer_access_token))).toBe(true)
    clock.now += 300_000
    expect(fake.isTokenValid(String(first.authorizer_access_token))).toBe(false)
    expect(fake.isTokenValid(String(second.authorizer_access_token))).toBe(true)
    expect(await renew('refreshtoken@@@wrong')).toMatchObject({ errcode: 61023 })
    expect(fake.calls('authorizer_token')).toBe(3)
  })

  it('unauthorize pushes `unauthorized`, kills the tokens and the refresh token (61003 after)', async () => {
    const { fake, post } = await authorised()
    const receiver = await startReceiver()
    await fake.authorize(COMPONENT.appid, ACCOUNT)
    const refresh = fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT)!
    const renewed = await post('/cgi-bin/component/api_authorizer_token', {
      component_appid: COMPONENT.appid,
      authorizer_appid: ACCOUNT,
      authorizer_refresh_token: refresh,
    })
    await fake.unauthorize(COMPONENT.appid, ACCOUNT, receiver.url)
    expect(receiver.pushes[0]?.fields).toMatchObject({ InfoType: 'unauthorized', AuthorizerAppid: ACCOUNT })
    expect(fake.isTokenValid(String(renewed.authorizer_access_token))).toBe(false)
    expect(fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT)).toBeUndefined()
    expect(
      await post('/cgi-bin/component/api_authorizer_token', {
        component_appid: COMPONENT.appid,
        authorizer_appid: ACCOUNT,
        authorizer_refresh_token: refresh,
      }),
    ).toMatchObject({ errcode: 61003 })
  })

  it('api_get_authorizer_list pages every refresh token (count 1–500), the documented way to recover them', async () => {
    const { fake, post } = await authorised()
    const accounts = Array.from({ length: 7 }, (_, i) => `wxacc0unt00000000${i}`)
    for (const account of accounts) await fake.authorize(COMPONENT.appid, account)
    const page = (offset: number, count: number) =>
      post('/cgi-bin/component/api_get_authorizer_list', { component_appid: COMPONENT.appid, offset, count })
    const first = await page(0, 5)
    const second = await page(5, 5)
    expect(first.total_count).toBe(7)
    const listed = [...(first.list as object[]), ...(second.list as object[])] as {
      authorizer_appid: string
      refresh_token: string
      auth_time: number
    }[]
    expect(listed.map((entry) => entry.authorizer_appid)).toEqual(accounts)
    for (const entry of listed)
      expect(entry.refresh_token).toBe(fake.authorizerRefreshToken(COMPONENT.appid, entry.authorizer_appid))
    expect(await page(0, 501)).toMatchObject({ errcode: 40097 })
    expect(await page(0, 0)).toMatchObject({ errcode: 40097 })
  })

  it("a mini program's login through its component: /sns/component/jscode2session", async () => {
    const { fake, token } = await authorised()
    await fake.authorize(COMPONENT.appid, ACCOUNT)
    const code = fake.issueLoginCode(ACCOUNT, { openid: 'o-user-1' })
    const query = {
      appid: ACCOUNT,
      js_code: code,
      grant_type: 'authorization_code',
      component_appid: COMPONENT.appid,
      component_access_token: token,
    }
    const answer = await call(fake, '/sns/component/jscode2session', undefined, query)
    expect(answer).toMatchObject({ openid: 'o-user-1', session_key: fake.sessionKeyOf(ACCOUNT, 'o-user-1') })
    expect(
      await call(fake, '/sns/component/jscode2session', undefined, { ...query, appid: 'wxnotauthorized01' }),
    ).toMatchObject({
      errcode: 61003,
    })
  })

  it('the test API names an unknown component as a typed argument error', async () => {
    const { fake } = await start()
    await expect(fake.pushTicket('wxunknown00000001')).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'componentAppid',
    })
  })
})
