import { afterEach, describe, expect, it } from 'vitest'
import type { ReadinessReport } from '../src/index.js'
import { memoryBridge, startApp, type Running } from './http-support.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function serve(options: Omit<Parameters<typeof startApp>[0], 'bridge'> = {}): Promise<{ server: Running; bridge: ReturnType<typeof memoryBridge> }> {
  const bridge = memoryBridge()
  const server = await startApp({ bridge, ...options })
  cleanups.push(() => bridge.close(), () => server.close())
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
      tiers: [{ name: 'memory', state: 'up', latencyMs: 0.1 }, { name: 'redis', state: 'up', latencyMs: 1.5, secret: 'x' } as never],
    }
    const { server } = await serve({ readiness: async () => (report instanceof Error ? Promise.reject(report) : report) })
    expect(await server.get('/readyz')).toEqual(
      expect.objectContaining({ status: 200, json: { ready: true, tiers: [{ name: 'memory', state: 'up', latencyMs: 0.1 }, { name: 'redis', state: 'up', latencyMs: 1.5 }] } }),
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
