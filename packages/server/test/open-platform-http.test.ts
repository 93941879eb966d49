import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request as httpRequest } from 'node:http'
import { authorizerState, componentTicketAge } from '@open-bridge/wechat-fetchers'
import { pushSender, startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../src/serve.js'
import { post } from './serve-child.js'

export const COMPONENT = {
  appid: 'wxc0mp0nent0000001',
  secret: 'component-secret-5e1f9a',
  token: 'pushTokenA9x2',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const ACCOUNT = 'wxacc0unt00000001a'
const OTHER = { ...COMPONENT, appid: 'wxc0mp0nent0000002' }

let dir: string
let fake: FakeWeChat
let server: RunningServer | undefined
let logs: string[]
let clockOffsetMs: number
const logStream = { write: (line: string) => void logs.push(line) }

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-open-platform-'))
  clockOffsetMs = 0
  fake = await startFakeWeChat({ components: [COMPONENT], now: () => Date.now() - clockOffsetMs })
  logs = []
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await fake.close()
  await rm(dir, { recursive: true, force: true })
})

/** A server for COMPONENT on SQLite; `server` fields merged in. */
async function start(extra: { server?: Record<string, unknown>; component?: Record<string, unknown> } = {}) {
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory', 'sqlite:./creds.db'],
      schedule: { enable: false },
      server: { port: 0, ...extra.server },
      wechat: { baseUrl: fake.url, retry: { retries: 0 } },
      openPlatform: [
        {
          componentAppid: COMPONENT.appid,
          componentSecret: { env: 'COMPONENT_SECRET' },
          token: { env: 'COMPONENT_TOKEN' },
          encodingAESKey: { env: 'COMPONENT_AES_KEY' },
          ...extra.component,
        },
      ],
    }),
  )
  server = await startServer({
    cwd: dir,
    env: {
      COMPONENT_SECRET: COMPONENT.secret,
      COMPONENT_TOKEN: COMPONENT.token,
      COMPONENT_AES_KEY: COMPONENT.encodingAESKey,
    },
    logStream,
  })
  return server
}

const eventsUrl = (base: string, component = COMPONENT.appid) => `${base}/open-platform/${component}/events`
const ticketAge = () => componentTicketAge(server!.bridge, COMPONENT.appid)

/** A GET without following redirects. */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          ...(res.headers.location ? { location: res.headers.location } : {}),
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

/** A POST with the request target exactly as given (no client-side normalisation of `..`). */
function rawPost(base: string, path: string, body: object): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base)
  const text = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        path,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
      },
      (res) => {
        let answer = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          answer += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: answer }))
      },
    )
    req.on('error', reject)
    req.end(text)
  })
}

/** Every log line must be free of every secret, ticket, token and signature the test saw. */
function expectLogsClean(secrets: string[]): void {
  const text = logs.join('\n')
  expect(logs.length).toBeGreaterThan(3)
  for (const secret of [COMPONENT.secret, COMPONENT.token, COMPONENT.encodingAESKey, ...secrets]) {
    expect(secret.length).toBeGreaterThan(5)
    expect(text.includes(secret), `a log line holds ${secret.slice(0, 4)}…`).toBe(false)
  }
}

describe('POST /open-platform/<componentAppid>/events', () => {
  it('a ticket push is verified, stored (the gauge shows its age) and answered success; a repeat changes nothing', async () => {
    const { url } = await start()
    expect(await ticketAge()).toBeNull()
    const { ticket, sent } = await fake.pushTicket(COMPONENT.appid, eventsUrl(url))
    expect(sent!.reply).toMatchObject({ status: 200, text: 'success' })
    expect(await ticketAge()).toBeLessThan(5)
    const held = await server!.bridge
      .credential((await import('@open-bridge/wechat-fetchers')).componentVerifyTicket)
      .get({
        componentAppid: COMPONENT.appid,
      })
    expect(held?.ticket).toBe(ticket)

    // WeChat's retry of the same request: success, not applied again.
    const again = await sent!.resend()
    expect(again).toMatchObject({ status: 200, text: 'success' })
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toMatch(
      new RegExp(`open_bridge_component_ticket_age_seconds\\{component="${COMPONENT.appid}"\\} [0-4]\\b`),
    )
    expect(metrics).toContain(
      `open_bridge_component_pushes_total{component="${COMPONENT.appid}",result="ticket-stored"} 1`,
    )
    expect(metrics).toContain(`open_bridge_component_pushes_total{component="${COMPONENT.appid}",result="repeat"} 1`)
    // With the ticket held, a component token can be had: the whole flow works from the push.
    await fake.authorize(COMPONENT.appid, ACCOUNT, { url: eventsUrl(url) })
    const token = await post(url, '/getAccessToken', { appid: ACCOUNT, platform: 'weixin-h5' })
    expect(token.status).toBe(200)
    const accessToken = (token.body as { access_token: string }).access_token
    expect(fake.isTokenValid(accessToken)).toBe(true)
    expectLogsClean([ticket, accessToken, fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT)!])
  })

  it('a bad signature, a tampered body, another component and an unknown path are 4xx, logged without the body, nothing stored', async () => {
    const { url } = await start()
    const sender = pushSender({
      token: COMPONENT.token,
      encodingAESKey: COMPONENT.encodingAESKey,
      receiveId: COMPONENT.appid,
    })
    const ticketXml = `<xml><AppId><![CDATA[${COMPONENT.appid}]]></AppId><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[ticket@@@forged-by-test-1234]]></ComponentVerifyTicket></xml>`

    // Signed with another token: the signature does not match.
    const wrongToken = pushSender({
      token: 'notTheToken',
      encodingAESKey: COMPONENT.encodingAESKey,
      receiveId: COMPONENT.appid,
    })
    const forged = await wrongToken.send(eventsUrl(url), ticketXml)
    expect(forged.reply.status).toBe(401)
    expect(JSON.parse(forged.reply.text)).toMatchObject({ errCode: 'E_PUSH_SIGNATURE' })

    // The right push, its ciphertext altered after signing.
    const good = await sender.send(`${url}/nowhere`, ticketXml).catch(() => undefined)
    expect(good?.reply.status).toBe(404)
    const tampered = good!.body.replace(
      /<Encrypt><!\[CDATA\[(.)/,
      (_m, c: string) => `<Encrypt><![CDATA[${c === 'A' ? 'B' : 'A'}`,
    )
    const query = new URL(good!.url).search
    const tamperedReply = await fetch(`${eventsUrl(url)}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: tampered,
    })
    expect(tamperedReply.status).toBe(401)

    // Encrypted for another component (its appid inside the ciphertext), sent to this one's URL.
    const otherAppid = pushSender({
      token: COMPONENT.token,
      encodingAESKey: COMPONENT.encodingAESKey,
      receiveId: OTHER.appid,
    })
    const wrongAppid = await otherAppid.send(eventsUrl(url), ticketXml.replace(COMPONENT.appid, OTHER.appid))
    expect(wrongAppid.reply.status).toBe(400)
    expect(JSON.parse(wrongAppid.reply.text)).toMatchObject({ errCode: 'E_PUSH_RECEIVE_ID' })

    // A component not configured here.
    const unknown = await sender.send(eventsUrl(url, OTHER.appid), ticketXml)
    expect(unknown.reply.status).toBe(404)
    // Not XML at all; and a body over the bound.
    const junk = await fetch(`${eventsUrl(url)}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: 'nope',
    })
    expect(junk.status).toBe(400)
    const huge = await fetch(`${eventsUrl(url)}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: `<xml>${'x'.repeat(70 * 1024)}</xml>`,
    })
    expect(huge.status).toBe(413)

    expect(await ticketAge()).toBeNull()
    const refusals = logs.filter((line) => line.includes('open platform push refused'))
    expect(refusals.length).toBeGreaterThanOrEqual(3)
    for (const line of refusals) expect(line).not.toMatch(/CDATA|forged|<xml|ticket@@@/)
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toContain(
      `open_bridge_component_pushes_total{component="${COMPONENT.appid}",result="E_PUSH_SIGNATURE"} 2`,
    )
    expectLogsClean([new URL(forged.url).searchParams.get('msg_signature')!, 'forged-by-test'])
  })

  it('authorized stores the account at once, updateauthorized keeps it; unauthorized removes it (its token is no longer served)', async () => {
    const { url } = await start()
    await fake.pushTicket(COMPONENT.appid, eventsUrl(url))
    const { sent } = await fake.authorize(COMPONENT.appid, ACCOUNT, { url: eventsUrl(url) })
    expect(sent!.reply.text).toBe('success')
    expect(await authorizerState(server!.bridge, ACCOUNT)).toMatchObject({
      componentAppid: COMPONENT.appid,
      status: 'authorized',
    })
    const calls = fake.calls('authorizer_token')
    const token = await post(url, '/getAccessToken', { appid: ACCOUNT, platform: 'weixin-h5' })
    expect(token.status).toBe(200)
    // Stored by the push itself: the read was a hit, no api_authorizer_token call.
    expect(fake.calls('authorizer_token')).toBe(calls)

    // Authorised again with other permissions: updateauthorized, applied at once, the account still served.
    const update = await fake.authorize(COMPONENT.appid, ACCOUNT, { url: eventsUrl(url), funcIds: [1, 2] })
    expect(update.sent!.reply.text).toBe('success')
    expect(await authorizerState(server!.bridge, ACCOUNT)).toMatchObject({ status: 'authorized' })

    const gone = await fake.unauthorize(COMPONENT.appid, ACCOUNT, eventsUrl(url))
    expect(gone.sent!.reply.text).toBe('success')
    expect(await authorizerState(server!.bridge, ACCOUNT)).toBeNull()
    const after = await post(url, '/getAccessToken', { appid: ACCOUNT, platform: 'weixin-h5' })
    expect(after.status).toBeGreaterThanOrEqual(400)
    // Withdrawn twice (WeChat's retry): harmless.
    expect(await gone.sent!.resend()).toMatchObject({ text: 'success' })
  })

  it('the allow-list, the HMAC and the Host check guard the credential routes but not the event URL (its auth is msg_signature)', async () => {
    const { url } = await start({
      server: {
        auth: { ipAllowList: ['10.9.9.9'], signingSecret: 'signing-secret-0123456789' },
        allowedHosts: ['bridge.internal'],
      },
    })
    const { sent } = await fake.pushTicket(COMPONENT.appid, eventsUrl(url))
    expect(sent!.reply).toMatchObject({ status: 200, text: 'success' })
    expect(await ticketAge()).not.toBeNull()
    const refused = await post(url, '/getAccessToken', { appid: ACCOUNT, platform: 'weixin-h5' })
    expect(refused.status).toBe(421) // Host 127.0.0.1 is not bridge.internal
    // With the account authorised, a path that climbs out of the prefix must still meet every check: never a token.
    await fake.authorize(COMPONENT.appid, ACCOUNT, { url: eventsUrl(url) })
    for (const path of [
      '/open-platform/../getAccessToken',
      '/open-platform/%2e%2e/getAccessToken',
      `/open-platform/${COMPONENT.appid}/events/../../../getAccessToken`,
      `/open-platform/${COMPONENT.appid}/events?/../../getAccessToken`,
    ]) {
      const climb = await rawPost(url, path, { appid: ACCOUNT, platform: 'weixin-h5' })
      expect([400, 403, 404, 421], path).toContain(climb.status)
      expect(climb.body, path).not.toContain('access_token')
    }
  })
})

describe('onboarding: GET /open-platform/<componentAppid>/authorize and /authorized', () => {
  it('redirects to the authorisation page with a fresh pre-auth code; the code coming back is exchanged and stored', async () => {
    const { url } = await start({
      component: { publicUrl: 'https://bridge.example.com', redirectOrigins: ['https://app.example.com'] },
    })
    await fake.pushTicket(COMPONENT.appid, eventsUrl(url))
    const landing = 'https://app.example.com/onboarded?tenant=7'
    const sentTo = await get(
      `${url}/open-platform/${COMPONENT.appid}/authorize?redirect_uri=${encodeURIComponent(landing)}`,
    )
    expect(sentTo.status).toBe(302)
    const page = new URL(sentTo.location!)
    expect(page.origin + page.pathname).toBe('https://mp.weixin.qq.com/cgi-bin/componentloginpage')
    expect(page.searchParams.get('component_appid')).toBe(COMPONENT.appid)
    expect(page.searchParams.get('pre_auth_code')).toMatch(/\S{8,}/)
    const callback = new URL(page.searchParams.get('redirect_uri')!)
    expect(callback.origin + callback.pathname).toBe(
      `https://bridge.example.com/open-platform/${COMPONENT.appid}/authorized`,
    )
    expect(callback.searchParams.get('redirect_uri')).toBe(landing)

    // The administrator authorises; WeChat sends the browser back to the callback with auth_code.
    const { authorizationCode } = await fake.authorize(COMPONENT.appid, ACCOUNT)
    callback.searchParams.set('auth_code', authorizationCode)
    callback.searchParams.set('expires_in', '3600')
    const back = await get(`${url}${callback.pathname}${callback.search}`)
    expect(back.status).toBe(302)
    const done = new URL(back.location!)
    expect(done.origin + done.pathname).toBe('https://app.example.com/onboarded')
    expect(Object.fromEntries(done.searchParams)).toEqual({ tenant: '7', status: 'ok', authorizer_appid: ACCOUNT })
    expect(await authorizerState(server!.bridge, ACCOUNT)).toMatchObject({ status: 'authorized' })
    // The same code again (a reload): refused by the platform, said in the redirect.
    const reload = await get(`${url}${callback.pathname}${callback.search}`)
    expect(new URL(reload.location!).searchParams.get('status')).toBe('error')

    for (const bad of ['https://evil.example.com/x', 'javascript:alert(1)', 'https://user:pw@app.example.com/', '']) {
      const refused = await get(
        `${url}/open-platform/${COMPONENT.appid}/authorize?redirect_uri=${encodeURIComponent(bad)}`,
      )
      expect(refused.status, bad).toBe(400)
      expect(JSON.parse(refused.body)).toMatchObject({ errCode: 'E_INVALID_REDIRECT' })
    }
    expectLogsClean([authorizationCode, page.searchParams.get('pre_auth_code')!])
  })

  it('without publicUrl the authorize route is off (404, says what to set)', async () => {
    const { url } = await start()
    const off = await get(`${url}/open-platform/${COMPONENT.appid}/authorize?redirect_uri=https%3A%2F%2Fa.example`)
    expect(off.status).toBe(404)
    expect(JSON.parse(off.body)).toMatchObject({ errCode: 'E_AUTHORIZE_NOT_CONFIGURED' })
  })
})

describe('pushes stopped', () => {
  it('the ticket-age gauge grows with the ticket held (+Inf before any arrived)', async () => {
    const { url } = await start()
    let metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toContain(`open_bridge_component_ticket_age_seconds{component="${COMPONENT.appid}"} +Inf`)
    clockOffsetMs = 2 * 3600_000 // the last push was made two hours ago
    await fake.pushTicket(COMPONENT.appid, eventsUrl(url))
    metrics = await (await fetch(`${url}/metrics`)).text()
    const age = Number(
      new RegExp(`open_bridge_component_ticket_age_seconds\\{component="${COMPONENT.appid}"\\} (\\S+)`).exec(
        metrics,
      )?.[1],
    )
    expect(age).toBeGreaterThan(7100)
    expect(age).toBeLessThan(7300)
  })
})
