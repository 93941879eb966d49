import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeWeChat, type FakeWeChat, type FakeWeChatOptions } from '@open-bridge/wechat-fetchers/testing'

const APP = { appid: 'wxfake00000000001', secret: 'fake-secret-0123456789' }

let fake: FakeWeChat | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

/** A settable clock, so expiry needs no waiting. */
function clock(start = 1_700_000_000_000) {
  let now = start
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
}

async function start(options: FakeWeChatOptions = {}): Promise<FakeWeChat> {
  fake = await startFakeWeChat({ apps: [APP], ...options })
  return fake
}

type Json = Record<string, unknown>
async function get(path: string, query: Record<string, string>, init?: RequestInit): Promise<Json> {
  const response = await fetch(`${fake!.url}${path}?${new URLSearchParams(query)}`, init)
  return (await response.json()) as Json
}
async function post(path: string, body: Json, query: Record<string, string> = {}): Promise<Json> {
  return get(path, query, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })
}
const classic = () => get('/cgi-bin/token', { grant_type: 'client_credential', appid: APP.appid, secret: APP.secret })
const stable = (force_refresh = false) =>
  post('/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: APP.appid,
    secret: APP.secret,
    force_refresh,
  })
const business = (token: unknown) => get('/fake/business', { access_token: String(token) })

describe('fake WeChat: access tokens', () => {
  it('a new classic token cuts the previous one to the grace window and kills the one before', async () => {
    const c = clock()
    await start({ now: c.now, graceSeconds: 300, tokenLifetimeSeconds: 7200 })
    const first = (await classic()).access_token
    const second = (await classic()).access_token
    expect(second).not.toBe(first)
    expect(await business(first)).toMatchObject({ errcode: 0 })

    c.advance(299_000)
    expect(await business(first)).toMatchObject({ errcode: 0 })
    c.advance(2_000)
    expect(await business(first)).toMatchObject({ errcode: 42001 })
    expect(await business(second)).toMatchObject({ errcode: 0 })

    // Only two are kept: a third token makes the first unknown (40001), the second enters its grace window.
    const third = (await classic()).access_token
    expect(await business(first)).toMatchObject({ errcode: 40001 })
    expect(await business(second)).toMatchObject({ errcode: 0 })
    expect(await business(third)).toMatchObject({ errcode: 0 })
    expect(fake!.calls('token')).toBe(3)
  })

  it('stableRotationSeconds sets when stable_token starts handing out a new token; tokensIssued counts new tokens', async () => {
    const c = clock()
    await start({ now: c.now, tokenLifetimeSeconds: 20, graceSeconds: 300, stableRotationSeconds: 5 })
    const first = (await stable()).access_token
    c.advance(14_000)
    expect(await stable()).toMatchObject({ access_token: first, expires_in: 6 })
    expect(fake!.tokensIssued()).toBe(1)
    c.advance(1_500)
    const second = (await stable()).access_token
    expect(second).not.toBe(first)
    expect(fake!.tokensIssued()).toBe(2)
    // A natural rotation lets the old token run out by itself.
    expect(await business(first)).toMatchObject({ errcode: 0 })
    c.advance(5_000)
    expect(await business(first)).toMatchObject({ errcode: 42001 })
    expect(await business(second)).toMatchObject({ errcode: 0 })
    expect(fake!.calls('stable_token')).toBe(3)
  })

  it('revokeToken kills a live token at once (40001)', async () => {
    await start()
    const token = (await stable()).access_token
    expect(fake!.revokeToken(String(token))).toBe(true)
    expect(await business(token)).toMatchObject({ errcode: 40001 })
    expect(fake!.isTokenValid(String(token))).toBe(false)
    expect(fake!.revokeToken(String(token))).toBe(false)
  })

  it('the grace window is configurable', async () => {
    const c = clock()
    await start({ now: c.now, graceSeconds: 10 })
    const first = (await classic()).access_token
    await classic()
    c.advance(11_000)
    expect(await business(first)).toMatchObject({ errcode: 42001 })
  })

  it('stable_token returns the same token (expires_in counting down) until forced or near expiry', async () => {
    const c = clock()
    await start({ now: c.now, tokenLifetimeSeconds: 7200, graceSeconds: 300 })
    const a = await stable()
    c.advance(1000_000)
    const b = await stable()
    expect(b.access_token).toBe(a.access_token)
    expect(b.expires_in).toBe(6200)

    // Within the grace window of its expiry: a new token, the old one still valid until it runs out.
    c.advance(6000_000)
    const rotated = await stable()
    expect(rotated.access_token).not.toBe(a.access_token)
    expect(await business(a.access_token)).toMatchObject({ errcode: 0 })
    c.advance(200_000)
    expect(await business(a.access_token)).toMatchObject({ errcode: 42001 })

    const forced = await stable(true)
    expect(forced.access_token).not.toBe(rotated.access_token)
    expect(await business(rotated.access_token)).toMatchObject({ errcode: 40001 })
    // A second force within 30 s is ignored.
    expect((await stable(true)).access_token).toBe(forced.access_token)
  })

  it('stable and classic tokens are separate families: one never invalidates the other', async () => {
    await start()
    const s = (await stable()).access_token
    await classic()
    await classic()
    await classic()
    expect(await business(s)).toMatchObject({ errcode: 0 })
  })

  it('a token expires after the configured lifetime', async () => {
    const c = clock()
    await start({ now: c.now, tokenLifetimeSeconds: 60 })
    const reply = await classic()
    expect(reply.expires_in).toBe(60)
    c.advance(60_001)
    expect(await business(reply.access_token)).toMatchObject({ errcode: 42001 })
    expect(fake!.isTokenValid(String(reply.access_token))).toBe(false)
  })

  it('refuses an unknown appid (40013) and a wrong secret (40125) without echoing the secret', async () => {
    await start()
    expect(
      await get('/cgi-bin/token', { grant_type: 'client_credential', appid: 'wxnope', secret: 'x' }),
    ).toMatchObject({ errcode: 40013 })
    const wrong = await post('/cgi-bin/stable_token', {
      grant_type: 'client_credential',
      appid: APP.appid,
      secret: 'wrong-secret-123456',
    })
    expect(wrong).toMatchObject({ errcode: 40125 })
    expect(JSON.stringify(wrong)).not.toContain('wrong-secret-123456')
  })

  it('serves QQ getToken with classic semantics', async () => {
    await start()
    const first = await get('/api/getToken', { grant_type: 'client_credential', appid: APP.appid, secret: APP.secret })
    expect(typeof first.access_token).toBe('string')
    expect(fake!.calls('qq_token')).toBe(1)
  })
})

describe('fake WeChat: tickets, sessions, encrypt keys, OAuth', () => {
  it('tickets need a valid token and stay the same while valid', async () => {
    await start()
    expect(await get('/cgi-bin/ticket/getticket', { access_token: 'bogus', type: 'jsapi' })).toMatchObject({
      errcode: 40001,
    })
    const token = String((await stable()).access_token)
    const a = await get('/cgi-bin/ticket/getticket', { access_token: token, type: 'jsapi' })
    const b = await get('/cgi-bin/ticket/getticket', { access_token: token, type: 'jsapi' })
    const card = await get('/cgi-bin/ticket/getticket', { access_token: token, type: 'wx_card' })
    expect(a).toMatchObject({ errcode: 0, expires_in: 7200 })
    expect(b.ticket).toBe(a.ticket)
    expect(card.ticket).not.toBe(a.ticket)
  })

  it('jscode2session redeems a code once; signed calls check the session_key signature', async () => {
    await start()
    const code = fake!.issueLoginCode(APP.appid, { openid: 'o-user', unionid: 'u-1' })
    const session = await get('/sns/jscode2session', {
      appid: APP.appid,
      secret: APP.secret,
      js_code: code,
      grant_type: 'authorization_code',
    })
    expect(session).toMatchObject({ openid: 'o-user', unionid: 'u-1' })
    expect(session.session_key).toBe(fake!.sessionKeyOf(APP.appid, 'o-user'))
    expect(await get('/sns/jscode2session', { appid: APP.appid, secret: APP.secret, js_code: code })).toMatchObject({
      errcode: 40163,
    })
    expect(await get('/sns/jscode2session', { appid: APP.appid, secret: APP.secret, js_code: 'nope' })).toMatchObject({
      errcode: 40029,
    })

    const token = String((await stable()).access_token)
    const signature = createHmac('sha256', String(session.session_key)).update('').digest('hex')
    const signed = { access_token: token, openid: 'o-user', sig_method: 'hmac_sha256' }
    expect(await get('/wxa/checksession', { ...signed, signature })).toMatchObject({ errcode: 0 })
    expect(await get('/wxa/checksession', { ...signed, signature: 'f'.repeat(64) })).toMatchObject({ errcode: 87009 })
    const reset = await get('/wxa/resetusersessionkey', { ...signed, signature })
    expect(reset.session_key).not.toBe(session.session_key)
    expect(await get('/wxa/checksession', { ...signed, signature })).toMatchObject({ errcode: 87009 })
  })

  it('getuserencryptkey returns the last three keys, newest first', async () => {
    await start()
    const code = fake!.issueLoginCode(APP.appid, { openid: 'o-user', sessionKey: 'c2Vzc2lvbi1rZXktMTIzNA==' })
    await get('/sns/jscode2session', { appid: APP.appid, secret: APP.secret, js_code: code })
    for (let i = 0; i < 4; i++) fake!.rotateEncryptKey(APP.appid, 'o-user')
    const token = String((await stable()).access_token)
    const signature = createHmac('sha256', 'c2Vzc2lvbi1rZXktMTIzNA==').update('').digest('hex')
    const reply = await post(
      '/wxa/business/getuserencryptkey',
      {},
      { access_token: token, openid: 'o-user', signature, sig_method: 'hmac_sha256' },
    )
    expect(reply.errcode).toBe(0)
    expect((reply.key_info_list as { version: number }[]).map((k) => k.version)).toEqual([4, 3, 2])
    expect(
      await post(
        '/wxa/business/getuserencryptkey',
        {},
        { access_token: 'dead', openid: 'o-user', signature, sig_method: 'hmac_sha256' },
      ),
    ).toMatchObject({
      errcode: 40001,
    })
  })

  it('web OAuth: a code gives a user token and a refresh_token that renews it', async () => {
    const c = clock()
    await start({ now: c.now, userTokenLifetimeSeconds: 100 })
    const code = fake!.issueOAuthCode(APP.appid, { openid: 'o-web', scope: 'snsapi_base' })
    const grant = await get('/sns/oauth2/access_token', {
      appid: APP.appid,
      secret: APP.secret,
      code,
      grant_type: 'authorization_code',
    })
    expect(grant).toMatchObject({ openid: 'o-web', scope: 'snsapi_base', expires_in: 100 })
    c.advance(101_000)
    expect(fake!.isUserTokenValid(String(grant.access_token))).toBe(false)
    const renewed = await get('/sns/oauth2/refresh_token', {
      appid: APP.appid,
      grant_type: 'refresh_token',
      refresh_token: String(grant.refresh_token),
    })
    expect(renewed.access_token).not.toBe(grant.access_token)
    expect(fake!.isUserTokenValid(String(renewed.access_token))).toBe(true)
    expect(
      await get('/sns/oauth2/refresh_token', { appid: APP.appid, grant_type: 'refresh_token', refresh_token: 'bad' }),
    ).toMatchObject({ errcode: 40030 })
  })
})

describe('fake WeChat: faults, quotas, latency, counters', () => {
  it('answers 45009 once an endpoint has used its quota', async () => {
    await start({ quotas: { token: 2 } })
    expect((await classic()).access_token).toBeTypeOf('string')
    expect((await classic()).access_token).toBeTypeOf('string')
    expect(await classic()).toMatchObject({ errcode: 45009 })
    expect((await stable()).access_token).toBeTypeOf('string')
  })

  it('injects errcodes and HTTP failures for the next calls, then behaves again', async () => {
    await start()
    fake!.inject('stable_token', { errcode: -1, errmsg: 'system busy' }, 2)
    fake!.inject('token', { status: 503 })
    expect(await stable()).toMatchObject({ errcode: -1, errmsg: 'system busy' })
    expect(await stable()).toMatchObject({ errcode: -1 })
    expect((await stable()).access_token).toBeTypeOf('string')
    const response = await fetch(
      `${fake!.url}/cgi-bin/token?grant_type=client_credential&appid=${APP.appid}&secret=${APP.secret}`,
    )
    expect(response.status).toBe(503)
    expect((await classic()).access_token).toBeTypeOf('string')
  })

  it('an outage answers every call of the named endpoints with the fault until it ends; queued faults come first', async () => {
    await start()
    fake!.inject('token', { errcode: -1 }, 1)
    fake!.startOutage({ status: 503 }, ['token'])
    expect(await classic()).toMatchObject({ errcode: -1, errmsg: 'injected error' })
    const down = await fetch(
      `${fake!.url}/cgi-bin/token?grant_type=client_credential&appid=${APP.appid}&secret=${APP.secret}`,
    )
    expect(down.status).toBe(503)
    expect(await down.json()).toMatchObject({ errcode: -1 })
    // Other endpoints are not affected.
    expect(await stable()).toMatchObject({ expires_in: 7200 })
    fake!.endOutage()
    expect(await classic()).toMatchObject({ expires_in: 7200 })
    expect(fake!.calls('token')).toBe(3)

    fake!.startOutage({ errcode: 45009 })
    expect(await stable()).toMatchObject({ errcode: 45009 })
    expect(await business('x')).toMatchObject({ errcode: 45009 })
    fake!.endOutage()
  })

  it('delays answers by the configured latency (a client with a shorter deadline gives up)', async () => {
    await start({ latencyMs: { token: 5_000 } })
    await expect(fetch(`${fake!.url}/cgi-bin/token`, { signal: AbortSignal.timeout(50) })).rejects.toThrow()
    fake!.setLatency(0, 'token')
    expect(await classic()).toHaveProperty('access_token')
  })

  it('counts calls per endpoint, refused ones included, until reset', async () => {
    await start()
    await classic()
    await business('nope')
    await business('nope')
    expect(fake!.calls('token')).toBe(1)
    expect(fake!.calls('business')).toBe(2)
    expect(fake!.calls('stable_token')).toBe(0)
    fake!.resetCalls()
    expect(fake!.calls('business')).toBe(0)
  })

  it('answers 404 for paths it does not serve', async () => {
    await start()
    const response = await fetch(`${fake!.url}/cgi-bin/nothing`)
    expect(response.status).toBe(404)
  })
})
