/**
 * Property-based fuzz over real HTTP: several hundred malformed bodies, headers and paths. Every answer must
 * be a 4xx with a JSON `{ errCode, errMsg }`, the server must stay up, and no body or log line may hold a
 * secret, a credential or a stack.
 */
import { request as httpRequest, Agent } from 'node:http'
import fc from 'fast-check'
import { PLATFORMS } from '@open-bridge/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CREDENTIAL_ROUTES } from '@open-bridge/remote'
import { LEGACY_PLATFORMS } from '../src/index.js'
import { APPS, LogLines, memoryBridge, SECRET, sign, startApp, type Running } from './http-support.js'

const TOKEN = 'AT-fuzz-credential-value'
const BODY_LIMIT = 4096
const logs = new LogLines()
const bridge = memoryBridge()
let server: Running
let port: number
const agent = new Agent({ keepAlive: true, maxSockets: 4 })
const bodies: string[] = []

beforeAll(async () => {
  await bridge.setAccessToken({ dcloudAppid: '__UNI__A', platform: 'weixin-mp' }, { access_token: TOKEN }, 7200)
  server = await startApp({
    bridge,
    auth: { signingSecret: SECRET },
    bodyLimit: BODY_LIMIT,
    logger: { level: 'trace', stream: logs },
  })
  port = Number(new URL(server.base).port)
})
afterAll(async () => {
  agent.destroy()
  await server.close()
  await bridge.close()
})

interface Raw {
  status: number
  body: string
}

/** One raw HTTP request (node:http, so paths and headers go out as generated). */
function send(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    // Content-Length always: Node's client would send a DELETE body without framing.
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: { ...headers, ...length }, agent },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (body !== undefined) req.end(body)
    else req.end()
  })
}

function signedPost(path: string, body: string, contentType = 'application/json'): Promise<Raw> {
  return send(
    'POST',
    path,
    { 'content-type': contentType, ...sign({ secret: SECRET, method: 'POST', path, body }) },
    body,
  )
}

/** The answer is a 4xx whose body is exactly a JSON `{ errCode, errMsg }` (plus platform fields). */
function expectClientError(answer: Raw): void {
  bodies.push(answer.body)
  expect(answer.status, answer.body).toBeGreaterThanOrEqual(400)
  expect(answer.status, answer.body).toBeLessThan(500)
  const json = JSON.parse(answer.body) as Record<string, unknown>
  expect(typeof json.errCode).toBe('string')
  expect(typeof json.errMsg).toBe('string')
}

const routeArb = fc.constantFrom(...CREDENTIAL_ROUTES)
const validKey = { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o1', version: 1 }
const junkValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
)
const extraName = fc
  .string({ minLength: 1, maxLength: 20 })
  .filter(
    (name) =>
      ![
        'dcloudAppid',
        'appid',
        'platform',
        'provider',
        'openid',
        'version',
        'ticketType',
        'value',
        'expiresIn',
        'ifValue',
      ].includes(name),
  )

/** Bodies that are wrong for every route, each in a different way. */
const malformedBody = fc.oneof(
  // not JSON at all
  fc.string({ maxLength: 200 }).filter((text) => {
    try {
      const parsed: unknown = JSON.parse(text)
      return typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)
    } catch {
      return true
    }
  }),
  // JSON, but not an object
  fc
    .oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean(), fc.array(fc.anything(), { maxLength: 4 }))
    .map((v) => JSON.stringify(v)),
  // a key without platform
  fc.record({ dcloudAppid: fc.string(), openid: fc.string() }).map((v) => JSON.stringify(v)),
  // a platform that does not exist (in any spelling)
  fc
    .string({ maxLength: 30 })
    .filter((p) => !(PLATFORMS as readonly string[]).includes(p) && !Object.hasOwn(LEGACY_PLATFORMS, p))
    .map((platform) => JSON.stringify({ ...validKey, platform })),
  // a key field of the wrong type
  fc
    .tuple(
      fc.constantFrom('dcloudAppid', 'platform'),
      junkValue.filter((v) => typeof v !== 'string'),
    )
    .map(([field, v]) => JSON.stringify({ ...validKey, [field]: v })),
  // prototype-polluting keys, at the top and inside value
  fc
    .constantFrom('__proto__', 'constructor')
    .chain((name) =>
      fc.constantFrom(
        `{"dcloudAppid":"__UNI__A","platform":"weixin-mp","${name}":{"prototype":{"polluted":true},"polluted":true}}`,
        `{"dcloudAppid":"__UNI__A","platform":"weixin-mp","openid":"o","version":1,"value":{"${name}":{"prototype":{"x":1}}}}`,
      ),
    ),
  // larger than the body limit
  fc
    .integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT * 3 })
    .map((n) => JSON.stringify({ ...validKey, pad: 'x'.repeat(n) })),
)

/** A good set* body plus a property no route takes: set* routes refuse unknown fields (reads ignore them). */
const setRouteArb = fc.constantFrom(...CREDENTIAL_ROUTES.filter((route) => route.operation === 'set'))
const extraPropertyBody = fc
  .tuple(extraName, junkValue)
  .map(([name, v]) => JSON.stringify({ ...validKey, value: { access_token: 'x' }, [name]: v }))

describe('fuzz: malformed bodies, headers and paths over real HTTP', () => {
  it('a set* body with a property no route takes is a 4xx with errCode', async () => {
    await fc.assert(
      fc.asyncProperty(setRouteArb, extraPropertyBody, async (route, body) => {
        expectClientError(await signedPost(`/${route.method}`, body))
      }),
      { numRuns: 100 },
    )
  })

  it('every malformed body (signed, so it reaches validation) is a 4xx with errCode', async () => {
    await fc.assert(
      fc.asyncProperty(routeArb, malformedBody, async (route, body) => {
        expectClientError(await signedPost(`/${route.method}`, body))
      }),
      { numRuns: 400 },
    )
  })

  it('malformed or forged signature and content headers are a 4xx with errCode', async () => {
    const headerValue = fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))
    await fc.assert(
      fc.asyncProperty(
        routeArb,
        fc.record(
          {
            'x-ob-timestamp': fc.oneof(
              headerValue,
              fc.integer().map(String),
              fc.constant(String(Math.floor(Date.now() / 1000))),
            ),
            'x-ob-nonce': fc.oneof(headerValue, fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/)),
            'x-ob-signature': fc.oneof(headerValue, fc.stringMatching(/^[0-9a-f]{64}$/)),
            'content-type': fc.oneof(
              headerValue,
              fc.constantFrom('application/json', 'text/plain', 'application/xml', 'application/json; charset=latin1'),
            ),
          },
          { requiredKeys: [] },
        ),
        async (route, headers) => {
          const body = JSON.stringify({ dcloudAppid: '__UNI__A', platform: 'weixin-mp' })
          expectClientError(await send('POST', `/${route.method}`, headers, body))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('unknown and mangled paths, with any method, are a 4xx with errCode', async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,30}$/)
    const path = fc
      .oneof(
        fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
        fc.constantFrom(
          '/../etc/passwd',
          '/%2e%2e/',
          '/getAccessToken/',
          '//getAccessToken',
          '/getAccessToken%00',
          '/GETACCESSTOKEN',
          '/%ff',
          '/getAccessToken/..',
        ),
        routeArb.map((route) => `/${route.method}/${route.method}`),
      )
      .filter(
        (p) =>
          !CREDENTIAL_ROUTES.some((r) => p.split('?')[0] === `/${r.method}`) &&
          !['/healthz', '/readyz'].includes(p.split('?')[0] ?? ''),
      )
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), async (p, method) => {
        const body = method === 'GET' || method === 'OPTIONS' ? undefined : '{}'
        const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' }
        expectClientError(
          await send(method, p, { ...headers, ...sign({ secret: SECRET, method, path: p, body }) }, body),
        )
      }),
      { numRuns: 200 },
    )
  })

  it('the server is still up and still serves the credential', async () => {
    expect(await send('GET', '/healthz', {})).toEqual({ status: 200, body: '{"status":"ok"}' })
    const ok = await signedPost('/getAccessToken', JSON.stringify({ dcloudAppid: '__UNI__A', platform: 'weixin-mp' }))
    expect(ok).toEqual({ status: 200, body: JSON.stringify({ access_token: TOKEN }) })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('no answer body and no log line held a secret, a credential or a stack', () => {
    expect(bodies.length).toBeGreaterThanOrEqual(800)
    const forbidden = [SECRET, TOKEN, ...APPS.map((app) => app.secret)]
    for (const body of bodies) {
      for (const value of forbidden) expect(body).not.toContain(value)
      expect(body).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/)
    }
    expect(logs.lines.length).toBeGreaterThan(800)
    for (const line of logs.lines) for (const value of forbidden) expect(line).not.toContain(value)
  })
})
