import { connect } from 'node:net'
import { createBridge, memoryStore, type CredentialSource } from '@open-bridge/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { ReadinessReport } from '../src/index.js'
import { APPS, memoryBridge, startApp, type Running } from './http-support.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function serve(
  options: Omit<Parameters<typeof startApp>[0], 'bridge'> = {},
): Promise<{ server: Running; bridge: ReturnType<typeof memoryBridge> }> {
  const bridge = memoryBridge()
  const server = await startApp({ bridge, ...options })
  cleanups.push(
    () => bridge.close(),
    () => server.close(),
  )
  return { server, bridge }
}

describe('operations routes', () => {
  it('GET /healthz is 200 { status: "ok" } (HEAD too)', async () => {
    const { server } = await serve()
    expect(await server.get('/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } })
    expect((await fetch(`${server.base}/healthz`, { method: 'HEAD' })).status).toBe(200)
  })

  it('GET /readyz without a probe: ready while the bridge is open, 503 once it is closed', async () => {
    const { server, bridge } = await serve()
    expect(await server.get('/readyz')).toMatchObject({ status: 200, json: { ready: true, tiers: [] } })
    await bridge.close()
    expect(await server.get('/readyz')).toMatchObject({ status: 503, json: { ready: false } })
  })

  it('GET /readyz answers the probe: 200 when ready, 503 when not, 503 when it throws; only documented fields go out', async () => {
    let report: ReadinessReport | Error = {
      ready: true,
      tiers: [
        { name: 'memory', state: 'up', latencyMs: 0.1 },
        { name: 'redis', state: 'up', latencyMs: 1.5, secret: 'x' } as never,
      ],
    }
    const { server } = await serve({
      readiness: async () => (report instanceof Error ? Promise.reject(report) : report),
    })
    expect(await server.get('/readyz')).toEqual(
      expect.objectContaining({
        status: 200,
        json: {
          ready: true,
          tiers: [
            { name: 'memory', state: 'up', latencyMs: 0.1 },
            { name: 'redis', state: 'up', latencyMs: 1.5 },
          ],
        },
      }),
    )
    report = { ready: false, tiers: [{ name: 'redis', state: 'open', error: 'E_BREAKER_OPEN' }] }
    expect(await server.get('/readyz')).toMatchObject({ status: 503, json: report })
    report = new Error('probe crashed: redis://:pw@host')
    const crashed = await server.get('/readyz')
    expect(crashed).toMatchObject({ status: 503, json: { ready: false, tiers: [] } })
    expect(crashed.text).not.toContain('pw@')
  })

  it('GET /metrics renders the hooks; every request is observed by route template, unknown paths as "unmatched"', async () => {
    const observed: Array<[string, number, number]> = []
    const { server } = await serve({
      metrics: {
        render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '# HELP x\nx 1\n' }),
        observeRequest: (route, status, seconds) => void observed.push([route, status, seconds]),
      },
    })
    const metrics = await server.get('/metrics')
    expect(metrics).toMatchObject({ status: 200, text: '# HELP x\nx 1\n' })
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    await server.post('/getAccessToken', { dcloudAppid: '__UNI__A', platform: 'weixin-mp' }, { sign: false })
    await server.post('/getAccessToken', { nope: 1 }, { sign: false })
    await server.get('/no/such/path/123')
    await new Promise((resolve) => setTimeout(resolve, 50)) // onResponse runs after the body is flushed
    expect(observed.map(([route, status]) => [route, status])).toEqual([
      ['/metrics', 200],
      ['/getAccessToken', 200],
      ['/getAccessToken', 400],
      ['unmatched', 404],
    ])
    for (const [, , seconds] of observed) expect(seconds).toBeGreaterThanOrEqual(0)
  })

  it('a throwing observeRequest does not break the request', async () => {
    const { server } = await serve({
      metrics: {
        render: async () => ({ contentType: 'text/plain', body: '' }),
        observeRequest: () => {
          throw new Error('metrics broke')
        },
      },
    })
    expect((await server.get('/healthz')).status).toBe(200)
    expect((await server.get('/healthz')).status).toBe(200)
  })

  it('without metrics there is no /metrics route', async () => {
    const { server } = await serve()
    expect(await server.get('/metrics')).toMatchObject({ status: 404, json: { errCode: 'E_NOT_FOUND' } })
  })
})

describe('closing', () => {
  it('finishes the request in flight and refuses one arriving on its kept-alive connection with 503 E_SHUTTING_DOWN', async () => {
    let release!: () => void
    const slow: CredentialSource['fetch'] = (async () => {
      await new Promise<void>((resolve) => (release = resolve))
      return { value: { access_token: 'late' }, expiresIn: 60 }
    }) as CredentialSource['fetch']
    const bridge = createBridge({ stores: [memoryStore()], apps: APPS, source: { fetch: slow } })
    const server = await startApp({ bridge, auth: {} })
    const { port } = new URL(server.base)
    const request = (body: string) =>
      `POST /getAccessToken HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(
        body,
      )}\r\n\r\n${body}`
    const body = JSON.stringify({ appid: 'wxapp1', platform: 'weixin-mp' })
    const socket = connect(Number(port), '127.0.0.1')
    let text = ''
    socket.on('data', (chunk) => (text += chunk.toString('utf8')))
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.write(request(body))
    await new Promise((resolve) => setTimeout(resolve, 100)) // the first request is waiting on the source
    const closed = server.app.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.write(request(body)) // pipelined on the same connection, after close() began
    await new Promise((resolve) => setTimeout(resolve, 100))
    release()
    await ended
    await closed
    await bridge.close()
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/)
    expect(text).toContain('{"access_token":"late"}')
    expect(text).toContain('HTTP/1.1 503 Service Unavailable')
    expect(text).toContain('{"errCode":"E_SHUTTING_DOWN","errMsg":"the server is shutting down; retry"}')
  })
})
