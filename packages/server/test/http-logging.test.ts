import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REDACTED_PATHS } from '../src/http/logger-options.js'
import { APPS, LogLines, memoryBridge, SECRET, sign, startApp, type Running } from './http-support.js'

describe('logs never hold a secret, a credential or a signature', () => {
  const logs = new LogLines()
  const bridge = memoryBridge()
  let server: Running
  const signatures: string[] = []
  const tokens = [
    'AT-token-value-1',
    'SK-session-key-2',
    'EK-encrypt-key-3',
    'TK-ticket-4',
    'UAT-user-token-5',
    'RT-refresh-6',
  ]

  beforeAll(async () => {
    server = await startApp({ bridge, auth: { signingSecret: SECRET }, logger: { level: 'trace', stream: logs } })
    const mp = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' }
    const h5 = { dcloudAppid: '__UNI__A', platform: 'weixin-h5' }
    const calls: Array<[string, object]> = [
      ['/setAccessToken', { ...mp, value: { access_token: tokens[0] }, expiresIn: 7200 }],
      ['/setSessionKey', { ...mp, openid: 'o', value: { session_key: tokens[1] } }],
      ['/setEncryptKey', { ...mp, openid: 'o', version: 1, value: { encrypt_key: tokens[2], iv: 'iv' } }],
      ['/setTicket', { ...h5, value: { ticket: tokens[3] } }],
      ['/setUserAccessToken', { ...h5, openid: 'o', value: { access_token: tokens[4], refresh_token: tokens[5] } }],
      ['/getAccessToken', mp],
      ['/getSessionKey', { ...mp, openid: 'o' }],
      ['/getEncryptKey', { ...mp, openid: 'o', version: 1 }],
      ['/getTicket', h5],
      ['/getUserAccessToken', { ...h5, openid: 'o' }],
      // errors: validation with a token in the body, unknown app, tampered body
      ['/setAccessToken', { ...mp, value: { access_token: tokens[0] }, expiresIn: 'soon' }],
      ['/setAccessToken', { dcloudAppid: '__UNI__X', platform: 'weixin-mp', value: { access_token: tokens[0] } }],
    ]
    for (const [path, body] of calls) {
      const payload = JSON.stringify(body)
      const headers = sign({ secret: SECRET, method: 'POST', path, body: payload })
      signatures.push(headers['x-ob-signature'])
      await fetch(`${server.base}${path}`, {
        method: 'POST',
        body: payload,
        headers: { 'content-type': 'application/json', ...headers },
      })
    }
    // a replay, a tampered body and a wrong secret: refused requests are logged too
    const payload = JSON.stringify(mp)
    const headers = sign({ secret: SECRET, method: 'POST', path: '/getAccessToken', body: payload })
    signatures.push(headers['x-ob-signature'])
    for (const body of [payload, payload, JSON.stringify({ ...mp, x: tokens[0] })]) {
      await fetch(`${server.base}/getAccessToken`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers, authorization: `Bearer ${tokens[0]}` },
      })
    }
    // secrets in a query string (platform callbacks carry msg_signature, echostr, auth_code; a careless client a token)
    const query = `?msg_signature=${tokens[2]}&echostr=${tokens[3]}&auth_code=${tokens[5]}&access_token=${tokens[0]}`
    await fetch(`${server.base}/getAccessToken${query}#frag-${tokens[4]}`, { method: 'POST' })
    // someone logging a request's headers by hand still gets them redacted
    server.app.log.info(
      { headers: { 'x-ob-signature': signatures[0], authorization: `Bearer ${tokens[1]}` } },
      'hand-made line',
    )
  })
  afterAll(async () => {
    await server.close()
    await bridge.close()
  })

  it('wrote lines (the capture works): requests, refusals, answers', () => {
    expect(logs.lines.length).toBeGreaterThan(20)
    expect(logs.text).toContain('incoming request')
    expect(logs.text).toContain('"reason":"replayed"')
    expect(logs.text).toContain('"reason":"mismatch"')
    expect(logs.text).toContain('answered E_INVALID_BODY')
    expect(logs.text).toContain('hand-made line')
    expect(logs.text).toContain('[redacted]')
  })

  it('holds none of: the signing secret, an app secret, a credential value, a signature', () => {
    const forbidden = [SECRET, ...APPS.map((a) => a.secret), ...tokens, ...signatures]
    for (const line of logs.lines) {
      for (const value of forbidden) expect(line).not.toContain(value)
    }
  })

  it('logs a query string by its parameter names only', () => {
    expect(logs.text).toContain('"url":"/getAccessToken?msg_signature=…&echostr=…&auth_code=…&access_token=…"')
  })

  it('redacts the signature and authorization headers wherever a request is logged', () => {
    expect(REDACTED_PATHS).toEqual(
      expect.arrayContaining(['req.headers.authorization', 'req.headers["x-ob-signature"]']),
    )
  })
})
