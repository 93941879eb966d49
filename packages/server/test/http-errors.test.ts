import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import {
  createBridge,
  memoryStore,
  BridgeError,
  type CredentialBridge,
  type CredentialSource,
  type CredentialStore,
} from '@open-bridge/core'
import { wechatSource, PlatformApiError } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { APPS, LogLines, memoryBridge, startApp, type Running } from './http-support.js'

const KEY = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' }

/** Every error body has exactly a string errCode and errMsg (plus the platform fields), and no stack. */
function expectErrorBody(json: unknown, errCode: string): void {
  expect(json).toMatchObject({ errCode, errMsg: expect.any(String) })
  const keys = Object.keys(json as object).sort()
  expect(keys.every((k) => ['category', 'errCode', 'errMsg', 'platformErrcode'].includes(k))).toBe(true)
  expect(JSON.stringify(json)).not.toMatch(/\bat .+:\d+:\d+|node:internal|\.ts:\d+/)
}

describe('request errors', () => {
  let bridge: CredentialBridge
  let server: Running
  beforeEach(async () => {
    bridge = memoryBridge()
    server = await startApp({ bridge, auth: {}, bodyLimit: 2048 })
  })
  afterEach(async () => {
    await server.close()
    await bridge.close()
  })

  it.each([
    // A set* refuses unknown fields (a misspelt expiresIn would store the credential for ever); reads ignore them.
    ['/setAccessToken', { ...KEY, value: { access_token: 't' }, expires_in: 7200 }, 'body.expires_in is not allowed'],
    [
      '/getAccessToken',
      { ...KEY, platform: 'weixin-xx' },
      'body.platform must be one of weixin-mp, weixin-h5, weixin-web, weixin-app, qq-mp, qq-app, mp-weixin, h5-weixin, app-weixin, web-weixin, mp-qq, app-qq',
    ],
    ['/getAccessToken', { dcloudAppid: 7, platform: 'weixin-mp' }, 'body.dcloudAppid must be a string'],
    [
      '/getAccessToken',
      { dcloudAppid: '', platform: 'weixin-mp' },
      'body.dcloudAppid must NOT have fewer than 1 characters',
    ],
    ['/getSessionKey', KEY, 'body.openid is required'],
    ['/getEncryptKey', { ...KEY, openid: 'o', version: '1' }, 'body.version must be an integer'],
    ['/getEncryptKey', { ...KEY, openid: 'o', version: 0 }, 'body.version must be >= 1'],
    ['/setAccessToken', KEY, 'body.value is required'],
    ['/setAccessToken', { ...KEY, value: 'tok' }, 'body.value must be an object'],
    ['/setAccessToken', { ...KEY, value: { access_token: 't' }, expiresIn: '7200' }, 'body.expiresIn must be a number'],
    [
      '/setAccessToken',
      { ...KEY, value: { constructor: 1 } },
      'body.value holds a forbidden key (__proto__, constructor or prototype)',
    ],
    [
      '/setAccessToken',
      { ...KEY, value: { prototype: 1 } },
      'body.value holds a forbidden key (__proto__, constructor or prototype)',
    ],
    ['/getTicket', { ...KEY, ticketType: 'other' }, 'body.ticketType must be one of jsapi, wx_card'],
    ['/refreshAccessToken', { ...KEY, ifValue: 5 }, 'body.ifValue must be a string'],
    ['/getAccessToken', [], 'body must be an object'],
    ['/getAccessToken', 'null', 'body must be an object'],
  ])('%s %j → 400 E_INVALID_BODY naming the field', async (path, body, errMsg) => {
    const answer = await server.post(path, body)
    expect(answer.status).toBe(400)
    expectErrorBody(answer.json, 'E_INVALID_BODY')
    expect((answer.json as { errMsg: string }).errMsg).toBe(errMsg)
  })

  it.each([
    ['{"dcloudAppid":"__UNI__A","platform":"weixin-mp","__proto__":{"polluted":true}}'],
    ['{"dcloudAppid":"__UNI__A","platform":"weixin-mp","constructor":{"prototype":{"polluted":true}}}'],
    ['{"dcloudAppid":"__UNI__A","platform":"weixin-mp","value":{"__proto__":{"polluted":true}}}'],
  ])('prototype-polluting keys are refused: %s', async (body) => {
    const answer = await server.post('/setAccessToken', body)
    expect(answer.status).toBe(400)
    expectErrorBody(answer.json, 'E_INVALID_JSON')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('a key error from the bridge names the key field (400)', async () => {
    const answer = await server.post('/getAccessToken', { platform: 'weixin-mp' })
    expect(answer).toMatchObject({
      status: 400,
      json: { errCode: 'E_INVALID_KEY', errMsg: 'key.dcloudAppid or key.appid is required' },
    })
    const colon = await server.post('/getSessionKey', { ...KEY, openid: 'a:b' })
    expect(colon).toMatchObject({ status: 400, json: { errCode: 'E_INVALID_KEY' } })
  })

  it('an unknown dcloudAppid is 404 E_UNKNOWN_APP', async () => {
    const answer = await server.post('/getAccessToken', { dcloudAppid: '__UNI__NOPE', platform: 'weixin-mp' })
    expect(answer.status).toBe(404)
    expectErrorBody(answer.json, 'E_UNKNOWN_APP')
  })

  it('an expiresIn the bridge refuses is 400 E_INVALID_EXPIRES', async () => {
    const answer = await server.post('/setAccessToken', { ...KEY, value: { access_token: 't' }, expiresIn: -5 })
    expect(answer.status).toBe(400)
    expectErrorBody(answer.json, 'E_INVALID_EXPIRES')
  })

  it('invalid JSON is 400 E_INVALID_JSON; an empty JSON body too', async () => {
    expect(await server.post('/getAccessToken', '{"dcloudAppid":')).toMatchObject({
      status: 400,
      json: { errCode: 'E_INVALID_JSON' },
    })
    expect(await server.post('/getAccessToken', '')).toMatchObject({ status: 400, json: { errCode: 'E_INVALID_JSON' } })
  })

  it('a body over bodyLimit is 413 E_BODY_TOO_LARGE', async () => {
    const answer = await server.post('/setAccessToken', { ...KEY, value: { access_token: 'x'.repeat(4096) } })
    expect(answer.status).toBe(413)
    expectErrorBody(answer.json, 'E_BODY_TOO_LARGE')
  })

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx'])(
    'Content-Type %s is 415 E_UNSUPPORTED_MEDIA_TYPE',
    async (type) => {
      const answer = await server.post('/getAccessToken', JSON.stringify(KEY), { headers: { 'content-type': type } })
      expect(answer.status).toBe(415)
      expectErrorBody(answer.json, 'E_UNSUPPORTED_MEDIA_TYPE')
    },
  )

  it('application/json with a charset is accepted', async () => {
    const answer = await server.post('/getAccessToken', KEY, {
      headers: { 'content-type': 'application/json; charset=utf-8' },
    })
    expect(answer).toMatchObject({ status: 200, json: null })
  })

  it('an unknown path is 404 E_NOT_FOUND, whatever the method', async () => {
    for (const answer of [
      await server.post('/getNothing', KEY),
      await server.get('/'),
      await server.get('/getAccessToken/x'),
    ]) {
      expect(answer.status).toBe(404)
      expectErrorBody(answer.json, 'E_NOT_FOUND')
    }
  })

  it('a known path with the wrong method is 405 E_METHOD_NOT_ALLOWED with Allow', async () => {
    const get = await server.get('/getAccessToken')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    expectErrorBody(get.json, 'E_METHOD_NOT_ALLOWED')
    const put = await fetch(`${server.base}/setTicket?x=1`, {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    })
    expect(put.status).toBe(405)
    const post = await server.post('/healthz', {})
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('a request Node cannot parse as HTTP gets the same { errCode, errMsg } shape (400), and the server stays up', async () => {
    const { port } = new URL(server.base)
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('BR@KEN / HTTP/1.1\r\nHost: x\r\n\r\n'))
      let text = ''
      socket.on('data', (chunk) => (text += chunk.toString('utf8')))
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
      errCode: 'E_BAD_REQUEST',
      errMsg: 'the request is not valid HTTP',
    })
    expect((await server.get('/healthz')).status).toBe(200)
  })

  it('a URL fastify cannot decode is 400 E_BAD_REQUEST', async () => {
    const { port } = new URL(server.base)
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: Number(port), path: '/%', agent: false }, (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body)).toMatchObject({ errCode: 'E_BAD_REQUEST' })
  })

  it('a closed bridge answers 503 E_CLOSED', async () => {
    await bridge.close()
    const answer = await server.post('/getAccessToken', KEY)
    expect(answer.status).toBe(503)
    expectErrorBody(answer.json, 'E_CLOSED')
  })
})

describe('errors from tiers and sources', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup()
  })

  const failing: CredentialStore = {
    name: 'down',
    get: () => Promise.reject(new Error('connect ECONNREFUSED redis://:hunter2-password@10.0.0.1:6379')),
    set: () => Promise.reject(new Error('down')),
    delete: () => Promise.reject(new Error('down')),
    close: () => Promise.resolve(),
  }

  async function withSource(fetch: () => Promise<unknown>, stores: CredentialStore[] = [memoryStore()]) {
    const bridge = createBridge({ stores, apps: APPS, source: { fetch: fetch as CredentialSource['fetch'] } })
    const logs = new LogLines()
    const server = await startApp({ bridge, auth: {}, logger: { level: 'trace', stream: logs } })
    cleanups.push(async () => {
      await server.close()
      await bridge.close()
    })
    return { bridge, server, logs }
  }

  it('every tier down is 503 E_STORE_UNAVAILABLE, and the driver message reaches neither body nor log', async () => {
    const bridge = createBridge({ stores: [failing], apps: APPS })
    const logs = new LogLines()
    const server = await startApp({ bridge, auth: {}, logger: { level: 'trace', stream: logs } })
    try {
      const answer = await server.post('/getAccessToken', KEY)
      expect(answer.status).toBe(503)
      expectErrorBody(answer.json, 'E_STORE_UNAVAILABLE')
      expect(answer.text).not.toContain('hunter2')
      expect(logs.text).not.toContain('hunter2')
    } finally {
      await server.close()
      await bridge.close()
    }
  })

  it.each([
    ['E_FETCH_TIMEOUT', 504],
    ['E_REFRESH_TIMEOUT', 504],
    ['E_STORE_UNAVAILABLE', 503],
  ])('a BridgeError %s from the source is %d', async (code, status) => {
    const ctx = await withSource(() =>
      Promise.reject(new BridgeError(code as 'E_CLOSED', `waited too long for ${code}`)),
    )
    const answer = await ctx.server.post('/getAccessToken', KEY)
    expect(answer.status).toBe(status)
    expectErrorBody(answer.json, code)
  })

  it.each([
    ['config', 40013, 502],
    ['configuration', 40125, 502],
    ['ip-confirm', 89503, 502],
    ['ip-confirmation', 89503, 502],
    ['token-invalid', 40001, 502],
    ['quota', 45009, 502],
    ['transient', -1, 503],
    ['user', 40029, 400],
  ])(
    'a platform error of category %s (read structurally, a plain object) is %d with the errcode',
    async (category, errcode, status) => {
      const structural = Object.assign(new Error(`token failed: secret=APPSECRET-mp-do-not-leak errcode ${errcode}`), {
        code: 'E_PLATFORM_API',
        category,
        errcode,
      })
      const ctx = await withSource(() => Promise.reject(structural))
      const answer = await ctx.server.post('/getAccessToken', KEY)
      expect(answer.status).toBe(status)
      expectErrorBody(answer.json, 'E_PLATFORM_API')
      expect(answer.json).toMatchObject({ platformErrcode: errcode, category })
      expect(answer.text).not.toContain('APPSECRET')
      expect(ctx.logs.text).not.toContain('APPSECRET')
    },
  )

  it('an unexpected error is 500 E_INTERNAL with a fixed message; its URL password is masked in the log', async () => {
    const ctx = await withSource(() => Promise.reject(new TypeError('boom at mongodb://admin:s3cr3t-pw@db:27017/x')))
    const answer = await ctx.server.post('/getAccessToken', KEY)
    expect(answer).toMatchObject({
      status: 500,
      json: { errCode: 'E_INTERNAL', errMsg: 'internal error; see the server log' },
    })
    expect(answer.text).not.toContain('s3cr3t')
    expect(ctx.logs.text).toContain('boom at mongodb://***@db')
    expect(ctx.logs.text).not.toContain('s3cr3t')
  })
})

describe('platform errors from the fake WeChat (a real PlatformApiError through wechatSource)', () => {
  let fake: FakeWeChat
  let bridge: CredentialBridge
  let server: Running
  let logs: LogLines
  // One app per scenario: a bridge may remember a failed fetch for a while (backoff), so scenarios must not share a key.
  const extra = ['quota', 'busy', 'down'].map((name) => ({
    dcloudAppid: `__UNI__${name.toUpperCase()}`,
    platform: 'weixin-h5' as const,
    appid: `wx${name}`,
    secret: `SECRET-${name}-do-not-leak`,
  }))
  const keyOf = (name: string) => ({ dcloudAppid: `__UNI__${name.toUpperCase()}`, platform: 'weixin-h5' })
  beforeAll(async () => {
    // The fake knows wxapp1 with another secret: the token call is refused with 40125 (configuration).
    fake = await startFakeWeChat({
      apps: [{ appid: 'wxapp1', secret: 'the-real-secret' }, ...extra.map(({ appid, secret }) => ({ appid, secret }))],
    })
    bridge = createBridge({
      stores: [memoryStore()],
      apps: [...APPS, ...extra],
      source: wechatSource({ baseUrl: fake.url, retry: { retries: 0 } }),
    })
    logs = new LogLines()
    server = await startApp({ bridge, auth: {}, logger: { level: 'trace', stream: logs } })
  })
  afterAll(async () => {
    await server.close()
    await bridge.close()
    await fake.close()
  })

  it('a wrong appsecret is 502 with errcode 40125, and no secret in the body or the log', async () => {
    const answer = await server.post('/getAccessToken', KEY)
    expect(answer.status).toBe(502)
    expect(answer.json).toMatchObject({ errCode: 'E_PLATFORM_API', platformErrcode: 40125, category: 'config' })
    expect(answer.text + logs.text).not.toContain(APPS[0]!.secret)
  })

  it('the daily quota (45009) is 502 with category quota; a system error (-1) is 503', async () => {
    fake.inject('token', { errcode: 45009 })
    const quota = await server.post('/getAccessToken', keyOf('quota'))
    expect(quota).toMatchObject({ status: 502, json: { platformErrcode: 45009, category: 'quota' } })
    fake.inject('token', { errcode: -1 })
    const busy = await server.post('/getAccessToken', keyOf('busy'))
    expect(busy).toMatchObject({ status: 503, json: { platformErrcode: -1, category: 'transient' } })
    for (const app of extra) expect(logs.text).not.toContain(app.secret)
  })

  it('the platform unreachable (HTTP 500) is 502 E_HTTP', async () => {
    fake.inject('token', { status: 500 })
    const answer = await server.post('/getAccessToken', keyOf('down'))
    expect(answer.status).toBe(502)
    expectErrorBody(answer.json, 'E_HTTP')
  })

  it('the same code recognised on a real PlatformApiError instance', () => {
    const error = new PlatformApiError({
      errcode: 40013,
      errmsg: 'invalid appid',
      category: 'config',
      appid: 'wx',
      url: 'u',
      endpoint: 'token',
    })
    expect(error.code).toBe('E_PLATFORM_API')
  })
})
