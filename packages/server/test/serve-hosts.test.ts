/**
 * DNS rebinding: a web page whose name an attacker rebinds to 127.0.0.1 reaches the default service (loopback,
 * no auth) with its own name in `Host`. The default answers only loopback names.
 */
import { request as httpRequest } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../src/serve.js'

let dir: string
let server: RunningServer | undefined
const logStream = { write: () => {} }

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-hosts-'))
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await rm(dir, { recursive: true, force: true })
})

async function start(serverConfig: Record<string, unknown>): Promise<RunningServer> {
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({ stores: ['memory'], server: { port: 0, ...serverConfig }, schedule: { enable: false } }),
  )
  server = await startServer({ cwd: dir, env: {}, logStream })
  return server
}

/** A request with the `Host` header of our choosing (fetch does not let one set it). */
function withHost(
  base: string,
  host: string | undefined,
  method: 'GET' | 'POST',
  path: string,
  body?: object,
): Promise<{ status: number; json: unknown }> {
  const text = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, base),
      {
        method,
        agent: false,
        setHost: host !== undefined,
        headers: {
          ...(host !== undefined ? { host } : {}),
          ...(text !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
            : {}),
        },
      },
      (res) => {
        let answer = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (answer += chunk))
        res.on('end', () => resolve({ status: res.statusCode!, json: answer === '' ? undefined : JSON.parse(answer) }))
      },
    )
    req.on('error', reject)
    req.end(text)
  })
}

const KEY = { appid: 'wx-hosts', platform: 'weixin-mp' }

describe('Host check on the default service (loopback, no auth)', () => {
  it('Host: attacker.example is refused with E_HOST_NOT_ALLOWED, on every path; loopback names are answered', async () => {
    const { url } = await start({})
    const port = new URL(url).port
    expect(
      (
        await withHost(url, `127.0.0.1:${port}`, 'POST', '/setAccessToken', {
          ...KEY,
          value: { access_token: 'secret-tok' },
          expiresIn: 600,
        })
      ).status,
    ).toBe(200)

    for (const host of ['attacker.example', `attacker.example:${port}`, `127.0.0.1.attacker.example:${port}`]) {
      const answer = await withHost(url, host, 'POST', '/getAccessToken', KEY)
      expect(answer.status).toBe(421)
      expect(answer.json).toEqual({ errCode: 'E_HOST_NOT_ALLOWED', errMsg: expect.stringContaining('allowedHosts') })
      expect(JSON.stringify(answer.json)).not.toContain('secret-tok')
      expect((await withHost(url, host, 'GET', '/metrics')).status).toBe(421)
      expect(
        (
          await withHost(url, host, 'POST', '/setAccessToken', {
            ...KEY,
            value: { access_token: 'evil' },
            expiresIn: 600,
          })
        ).status,
      ).toBe(421)
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, 'localhost']) {
      expect(await withHost(url, host, 'POST', '/getAccessToken', KEY)).toEqual({
        status: 200,
        json: { access_token: 'secret-tok' },
      })
    }
  })

  it('server.allowedHosts replaces the default; ["*"] answers any Host', async () => {
    const first = await start({ allowedHosts: ['bridge.dev.internal'] })
    expect((await withHost(first.url, 'bridge.dev.internal:8080', 'GET', '/healthz')).status).toBe(200)
    expect((await withHost(first.url, `127.0.0.1:${new URL(first.url).port}`, 'GET', '/healthz')).status).toBe(421)
    await first.close()

    const any = await start({ allowedHosts: ['*'] })
    expect((await withHost(any.url, 'anything.example', 'GET', '/healthz')).status).toBe(200)
  })

  it('with a signing secret the default checks no Host (a browser cannot sign); a bad allowedHosts entry names itself', async () => {
    const signed = await start({ auth: { signingSecret: 'h'.repeat(20) } })
    expect((await withHost(signed.url, 'bridge.example', 'GET', '/healthz')).status).toBe(200)
    await signed.close()
    server = undefined
    await expect(start({ allowedHosts: ['ok.example', 'bad host:80'] })).rejects.toMatchObject({
      code: 'E_INVALID_CONFIG',
      field: 'server.allowedHosts[1]',
    })
  })
})
