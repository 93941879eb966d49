import { afterEach, describe, expect, it } from 'vitest'
import { buildApp, isServerError } from '../src/index.js'
import { LogLines, memoryBridge, SECRET, sign, startApp, type Running } from './http-support.js'

const KEY = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' }
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function serve(
  auth: Parameters<typeof buildApp>[0]['auth'],
  host = '127.0.0.1',
  logs?: LogLines,
): Promise<Running> {
  const bridge = memoryBridge()
  await bridge.setAccessToken(KEY as never, { access_token: 'AT-live' }, 7200)
  const server = await startApp({ bridge, auth, ...(logs ? { logger: { level: 'trace', stream: logs } } : {}) }, host)
  cleanups.push(
    () => bridge.close(),
    () => server.close(),
  )
  return server
}

describe('IP allow-list over real HTTP', () => {
  it('lets a client in range through (IPv4, CIDR)', async () => {
    const server = await serve({ ipAllowList: ['127.0.0.0/8'] })
    expect(await server.post('/getAccessToken', KEY, { sign: false })).toMatchObject({
      status: 200,
      json: { access_token: 'AT-live' },
    })
  })

  it('refuses a client out of range with 403 E_FORBIDDEN, on every non-probe path', async () => {
    const server = await serve({ ipAllowList: ['10.0.0.0/8', '2001:db8::/32'] })
    for (const answer of [
      await server.post('/getAccessToken', KEY, { sign: false }),
      await server.post('/nope', KEY, { sign: false }),
      await server.get('/getAccessToken'),
    ]) {
      expect(answer).toMatchObject({ status: 403, json: { errCode: 'E_FORBIDDEN' } })
    }
    // Probes stay open: an orchestrator's kubelet is rarely in the list.
    expect((await server.get('/healthz')).status).toBe(200)
    expect((await server.get('/readyz')).status).toBe(200)
  })

  it('matches IPv6 clients against IPv6 ranges (server on ::1)', async () => {
    const inside = await serve({ ipAllowList: ['::1/128'] }, '::1')
    expect((await inside.post('/getAccessToken', KEY, { sign: false })).status).toBe(200)
    const outside = await serve({ ipAllowList: ['fe80::/10', '127.0.0.1'] }, '::1')
    expect((await outside.post('/getAccessToken', KEY, { sign: false })).status).toBe(403)
  })

  it('ignores a spoofed X-Forwarded-For without trustProxy', async () => {
    const server = await serve({ ipAllowList: ['10.0.0.0/8'] })
    const answer = await server.post('/getAccessToken', KEY, {
      sign: false,
      headers: { 'x-forwarded-for': '10.1.2.3' },
    })
    expect(answer.status).toBe(403)
  })

  it('honours X-Forwarded-For with trustProxy, including an IPv4-mapped IPv6 address', async () => {
    const server = await serve({ ipAllowList: ['10.0.0.0/8'], trustProxy: true })
    expect(
      (await server.post('/getAccessToken', KEY, { sign: false, headers: { 'x-forwarded-for': '10.1.2.3' } })).status,
    ).toBe(200)
    expect(
      (await server.post('/getAccessToken', KEY, { sign: false, headers: { 'x-forwarded-for': '::ffff:10.9.9.9' } }))
        .status,
    ).toBe(200)
    expect(
      (await server.post('/getAccessToken', KEY, { sign: false, headers: { 'x-forwarded-for': '11.1.2.3' } })).status,
    ).toBe(403)
    // without the header the socket address (127.0.0.1) decides
    expect((await server.post('/getAccessToken', KEY, { sign: false })).status).toBe(403)
  })

  it('trusts only the proxies named: a header from an untrusted peer is ignored', async () => {
    const server = await serve({ ipAllowList: ['10.0.0.0/8'], trustProxy: '192.0.2.1' })
    expect(
      (await server.post('/getAccessToken', KEY, { sign: false, headers: { 'x-forwarded-for': '10.1.2.3' } })).status,
    ).toBe(403)
    const trusted = await serve({ ipAllowList: ['10.0.0.0/8'], trustProxy: '127.0.0.1' })
    expect(
      (await trusted.post('/getAccessToken', KEY, { sign: false, headers: { 'x-forwarded-for': '10.1.2.3' } })).status,
    ).toBe(200)
  })

  it('refuses a bad entry at build, naming it', () => {
    try {
      buildApp({ bridge: memoryBridge(), auth: { ipAllowList: ['10.0.0.0/8', '300.1.1.1'] } })
      expect.unreachable()
    } catch (error) {
      expect(isServerError(error, 'E_INVALID_CONFIG')).toBe(true)
      expect((error as Error).message).toContain('auth.ipAllowList[1]')
      expect((error as Error).message).toContain('300.1.1.1')
    }
  })
})

describe('request signing over real HTTP', () => {
  const body = JSON.stringify(KEY)
  const send = (server: Running, path: string, payload: string, headers: Record<string, string>) =>
    fetch(`${server.base}${path}`, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json', ...headers },
    }).then(async (r) => ({
      status: r.status,
      text: await r.text(),
    }))

  it('accepts a good signature', async () => {
    const server = await serve({ signingSecret: SECRET })
    const answer = await send(
      server,
      '/getAccessToken',
      body,
      sign({ secret: SECRET, method: 'POST', path: '/getAccessToken', body }),
    )
    expect(answer).toEqual({ status: 200, text: '{"access_token":"AT-live"}' })
  })

  it('signs the query string with the path', async () => {
    const server = await serve({ signingSecret: SECRET })
    const path = '/getAccessToken?trace=1'
    expect((await send(server, path, body, sign({ secret: SECRET, method: 'POST', path, body }))).status).toBe(200)
    expect(
      (await send(server, path, body, sign({ secret: SECRET, method: 'POST', path: '/getAccessToken', body }))).status,
    ).toBe(401)
  })

  it.each([
    [
      'a wrong secret',
      () => sign({ secret: 'another-secret-0123456', method: 'POST', path: '/getAccessToken', body }),
      body,
      '/getAccessToken',
    ],
    [
      'an expired timestamp',
      () =>
        sign({
          secret: SECRET,
          method: 'POST',
          path: '/getAccessToken',
          body,
          timestamp: Math.floor(Date.now() / 1000) - 301,
        }),
      body,
      '/getAccessToken',
    ],
    [
      'a future timestamp',
      () =>
        sign({
          secret: SECRET,
          method: 'POST',
          path: '/getAccessToken',
          body,
          timestamp: Math.floor(Date.now() / 1000) + 400,
        }),
      body,
      '/getAccessToken',
    ],
    [
      'a tampered body',
      () => sign({ secret: SECRET, method: 'POST', path: '/getAccessToken', body }),
      JSON.stringify({ ...KEY, platform: 'weixin-h5' }),
      '/getAccessToken',
    ],
    [
      'a tampered path',
      () => sign({ secret: SECRET, method: 'POST', path: '/getAccessToken', body }),
      body,
      '/removeAccessToken',
    ],
    [
      'a tampered method',
      () => sign({ secret: SECRET, method: 'PUT', path: '/getAccessToken', body }),
      body,
      '/getAccessToken',
    ],
    ['no headers', () => ({}) as Record<string, string>, body, '/getAccessToken'],
  ])('refuses %s with 401 E_UNAUTHORIZED, never echoing the signature', async (_name, sign, payload, path) => {
    const logs = new LogLines()
    const server = await serve({ signingSecret: SECRET }, '127.0.0.1', logs)
    const headers = sign()
    const answer = await send(server, path, payload, headers)
    expect(answer.status).toBe(401)
    expect(JSON.parse(answer.text)).toMatchObject({ errCode: 'E_UNAUTHORIZED' })
    if (headers['x-ob-signature']) {
      expect(answer.text).not.toContain(headers['x-ob-signature'])
      expect(logs.text).not.toContain(headers['x-ob-signature'])
    }
    expect(logs.text).not.toContain(SECRET)
    // the credential was not touched (the tampered path was a remove)
    expect((await server.post('/getAccessToken', KEY)).json).toEqual({ access_token: 'AT-live' })
  })

  it.each(['x-ob-timestamp', 'x-ob-nonce', 'x-ob-signature'])('refuses a request missing %s', async (header) => {
    const server = await serve({ signingSecret: SECRET })
    const headers: Record<string, string> = sign({
      secret: SECRET,
      method: 'POST',
      path: '/getAccessToken',
      body,
    })
    delete headers[header]
    const answer = await send(server, '/getAccessToken', body, headers)
    expect(answer.status).toBe(401)
    expect(JSON.parse(answer.text).errMsg).toContain('must be signed')
  })

  it('refuses a replayed request (same nonce) within the window', async () => {
    const server = await serve({ signingSecret: SECRET })
    const headers = sign({ secret: SECRET, method: 'POST', path: '/getAccessToken', body })
    expect((await send(server, '/getAccessToken', body, headers)).status).toBe(200)
    const replay = await send(server, '/getAccessToken', body, headers)
    expect(replay.status).toBe(401)
    expect(JSON.parse(replay.text)).toEqual({ errCode: 'E_UNAUTHORIZED', errMsg: 'x-ob-nonce was already used' })
  })

  it('checks a request without a body (signed as an empty body)', async () => {
    const server = await serve({ signingSecret: SECRET })
    const good = await fetch(`${server.base}/getAccessToken`, {
      method: 'POST',
      headers: sign({ secret: SECRET, method: 'POST', path: '/getAccessToken' }),
    })
    expect(good.status).toBe(400) // signed, then the empty body fails its schema
    const bad = await fetch(`${server.base}/getAccessToken`, {
      method: 'POST',
      headers: sign({ secret: 'x'.repeat(20), method: 'POST', path: '/getAccessToken' }),
    })
    expect(bad.status).toBe(401)
  })

  it('refuses before parsing: an unsigned malformed body is 401, not 400', async () => {
    const server = await serve({ signingSecret: SECRET })
    const headers = sign({
      secret: 'wrong-secret-0123456789',
      method: 'POST',
      path: '/getAccessToken',
      body: '{bad',
    })
    expect((await send(server, '/getAccessToken', '{bad', headers)).status).toBe(401)
  })

  it('needs no signature on /healthz, /readyz; /metrics takes the IP list and the signing secret as a bearer', async () => {
    const bridge = memoryBridge()
    const server = await startApp({
      bridge,
      auth: { signingSecret: SECRET, ipAllowList: ['127.0.0.1'] },
      metrics: { render: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' }) },
    })
    cleanups.push(
      () => bridge.close(),
      () => server.close(),
    )
    expect(await server.get('/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } })
    expect(await server.get('/readyz')).toMatchObject({ status: 200, json: { ready: true } })
    const refused = await server.get('/metrics')
    expect(refused).toMatchObject({ status: 401, json: { errCode: 'E_UNAUTHORIZED' } })
    expect(refused.text).not.toContain(SECRET)
    expect(await server.get('/metrics', { authorization: 'Bearer wrong-token-0123456789' })).toMatchObject({
      status: 401,
    })
    expect(await server.get('/metrics', { authorization: `Bearer ${SECRET}` })).toMatchObject({
      status: 200,
      text: 'up 1\n',
    })
  })

  it('a dedicated metricsToken opens /metrics (and then the signing secret does not); alone it guards /metrics too', async () => {
    const render = async () => ({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' })
    const bridge = memoryBridge()
    cleanups.push(() => bridge.close())
    const token = 'metrics-token-0123456789'
    for (const auth of [{ signingSecret: SECRET, metricsToken: token }, { metricsToken: token }]) {
      const server = await startApp({ bridge, auth, metrics: { render } })
      cleanups.push(() => server.close())
      expect((await server.get('/metrics')).status).toBe(401)
      expect((await server.get('/metrics', { authorization: `Bearer ${SECRET}` })).status).toBe(401)
      expect((await server.get('/metrics', { authorization: `bearer ${token}` })).status).toBe(200)
      expect((await server.get('/healthz')).status).toBe(200)
    }
    expect(() => buildApp({ bridge, auth: { metricsToken: 'short' } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'auth.metricsToken' }),
    )
  })

  it('refuses a short signing secret at build', () => {
    expect(() => buildApp({ bridge: memoryBridge(), auth: { signingSecret: 'short' } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'auth.signingSecret' }),
    )
  })

  it('checks the IP first, then the signature (both configured)', async () => {
    const server = await serve({ signingSecret: SECRET, ipAllowList: ['10.0.0.0/8'] })
    const answer = await send(
      server,
      '/getAccessToken',
      body,
      sign({ secret: SECRET, method: 'POST', path: '/getAccessToken', body }),
    )
    expect(answer.status).toBe(403)
    const inRange = await serve({ signingSecret: SECRET, ipAllowList: ['127.0.0.1/32'] })
    expect((await send(inRange, '/getAccessToken', body, {})).status).toBe(401)
    expect(
      (
        await send(
          inRange,
          '/getAccessToken',
          body,
          sign({ secret: SECRET, method: 'POST', path: '/getAccessToken', body }),
        )
      ).status,
    ).toBe(200)
  })
})
