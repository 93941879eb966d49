/**
 * The service under clients that do not send: request / headers / keep-alive bounds and the connection cap,
 * with the service a real child process under a 256-descriptor limit; and shutdown (drain, no reset of
 * requests already sent, no wait on a half-sent request).
 */
import { request as httpRequest } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { signRequest } from '../src/sign-request.js'
import { spawnCli, type CliChild } from './serve-child.js'

const SIGNING = 'LIMITS-signing-secret-0a8b7c6d5e'
const KEY = { appid: 'wx-limits', platform: 'weixin-mp' }

let dir: string
let children: CliChild[]
let sockets: Socket[]
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-limits-'))
  children = []
  sockets = []
})
afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  await Promise.all(children.map((c) => c.kill()))
  await rm(dir, { recursive: true, force: true })
})

async function serve(server: Record<string, unknown>, wrap?: string[]): Promise<{ child: CliChild; base: string }> {
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory'],
      server: { port: 0, auth: { signingSecret: { env: 'OB_SIGNING' } }, ...server },
      schedule: { enable: false },
    }),
  )
  const child = spawnCli(['serve'], { cwd: dir, env: { OB_SIGNING: SIGNING }, ...(wrap ? { wrap } : {}) })
  children.push(child)
  return { child, base: await child.url() }
}

/** One signed POST over a fresh connection (no keep-alive): status and body, or the connection error's code. */
function signedPost(base: string, path: string, body: object): Promise<{ status: number; text: string }> {
  const url = new URL(path, base)
  const text = JSON.stringify(body)
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
    ...signRequest({ secret: SIGNING, method: 'POST', path, body: text, audience: url.host }),
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers, agent: false }, (res) => {
      let answer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (answer += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, text: answer }))
      res.on('error', reject)
    })
    req.setTimeout(20_000, () => req.destroy(new Error('no answer in 20 s')))
    req.on('error', reject)
    req.end(text)
  })
}

/** A raw connection; resolves once connected. Records when it was closed by the server. */
function open(base: string): Promise<{ socket: Socket; closedAt: Promise<number> }> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) })
    sockets.push(socket)
    socket.on('data', () => {}) // read whatever the server says (a 408), so its close is seen
    const closedAt = new Promise<number>((done) => socket.once('close', () => done(Date.now())))
    socket.once('error', () => {})
    socket.once('connect', () => resolve({ socket, closedAt }))
    socket.once('error', reject)
  })
}

function signedHead(path: string, length: number): string {
  const signature = signRequest({
    secret: 'x'.repeat(20),
    method: 'POST',
    path,
    body: 'never sent',
    audience: '127.0.0.1',
  })
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n` +
    Object.entries(signature)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n'
  )
}

describe('bounded requests and connections (a child process under ulimit -n 256)', { timeout: 120_000 }, () => {
  it('300 clients that do not send (silent, headers cut short, a body that never comes) are cut within the bound; signed clients keep getting answers', async () => {
    const bounds = { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000, keepAliveTimeoutMs: 1_000, maxConnections: 200 }
    const { child, base } = await serve({ ...bounds, drainMs: 0 }, ['prlimit', '--nofile=256:256'])
    expect(
      (await signedPost(base, '/setAccessToken', { ...KEY, value: { access_token: 'tok' }, expiresIn: 600 })).status,
    ).toBe(200)

    // 300 hostile connections: a third silent, a third with headers that never end, a third with headers in
    // full (plausible signature headers, Content-Length 1000) and no body.
    const hostile: Array<{ openedAt: number; closedAt: Promise<number> }> = []
    for (let i = 0; i < 300; i++) {
      const openedAt = Date.now()
      const { socket, closedAt } = await open(base).catch(() => ({
        socket: undefined,
        closedAt: Promise.resolve(Date.now()),
      }))
      if (socket !== undefined && i % 3 === 1) socket.write('POST /getAccessToken HTTP/1.1\r\nHost: 127.0.0.1\r\n')
      if (socket !== undefined && i % 3 === 2) socket.write(signedHead('/getAccessToken', 1000))
      hostile.push({ openedAt, closedAt })
    }

    // Signed clients, one after another while the hostile ones sit there: every one is answered. A connection
    // the cap turned away is tried again (what a client pool does); the answer must come well within the run.
    const answered: number[] = []
    const started = Date.now()
    for (let i = 0; i < 5; i++) {
      for (let attempt = 0; ; attempt++) {
        try {
          const answer = await signedPost(base, '/getAccessToken', KEY)
          expect(answer).toEqual({ status: 200, text: JSON.stringify({ access_token: 'tok' }) })
          answered.push(Date.now() - started)
          break
        } catch (error) {
          if (attempt > 60) throw error
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
      }
    }
    expect(answered).toHaveLength(5)

    // Every hostile connection was closed by the server within the request bound, plus the check interval and
    // a generous margin for a loaded machine — never left open as before (still open after 100 s).
    const lives = await Promise.all(hostile.map(async ({ openedAt, closedAt }) => (await closedAt) - openedAt))
    const bound = bounds.requestTimeoutMs + 1_000 + 10_000
    expect(Math.max(...lives)).toBeLessThan(bound)
    expect(child.child.exitCode).toBeNull() // still serving: not killed by EMFILE
  })

  it('a request refused before its body (malformed signature) does not keep its connection waiting for the body', async () => {
    const { base } = await serve({ drainMs: 0, requestTimeoutMs: 15_000, keepAliveTimeoutMs: 15_000 })
    const { socket, closedAt } = await open(base)
    const openedAt = Date.now()
    let reply = ''
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('utf8')))
    socket.write(
      'POST /getAccessToken HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n' +
        'x-ob-timestamp: 1\r\nx-ob-nonce: short\r\nx-ob-signature: zz\r\n\r\n',
    )
    const closed = await closedAt
    expect(reply).toMatch(/^HTTP\/1\.1 401 /)
    expect(reply).toContain('"errCode":"E_UNAUTHORIZED"')
    // Closed right after the answer (about 10 ms here), not when a bound (15 s) runs out.
    expect(closed - openedAt).toBeLessThan(3_000)
  })
})

describe('shutdown (a child process, SIGTERM)', { timeout: 120_000 }, () => {
  it('a half-sent request does not hold SIGTERM: exit 0 within the grace period', async () => {
    const { child, base } = await serve({ drainMs: 300, shutdownGraceMs: 8_000 })
    const { socket, closedAt } = await open(base)
    socket.write(`${signedHead('/getAccessToken', 100)}{"appid":`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const signalled = Date.now()
    child.child.kill('SIGTERM')
    expect(await child.exited, child.lines.join('\n')).toEqual({ code: 0, signal: null })
    expect(Date.now() - signalled).toBeLessThan(8_000)
    await closedAt
  })

  it('40 signed requests sent just before SIGTERM are all answered (none reset); /readyz turns 503 at once while requests are still served', async () => {
    const { child, base } = await serve({ drainMs: 3_000, shutdownGraceMs: 15_000 })
    expect(
      (await signedPost(base, '/setAccessToken', { ...KEY, value: { access_token: 'tok' }, expiresIn: 600 })).status,
    ).toBe(200)
    expect((await fetch(`${base}/readyz`)).status).toBe(200)

    const connections = await Promise.all(Array.from({ length: 40 }, () => open(base)))
    const answers = connections.map(
      ({ socket }) =>
        new Promise<string>((resolve) => {
          let text = ''
          socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')))
          socket.once('close', () => resolve(text))
          socket.once('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`))
        }),
    )
    const body = JSON.stringify(KEY)
    for (const { socket } of connections) {
      const signature = signRequest({
        secret: SIGNING,
        method: 'POST',
        path: '/getAccessToken',
        body,
        audience: '127.0.0.1',
      })
      socket.write(
        `POST /getAccessToken HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
          Object.entries(signature)
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('') +
          `Connection: close\r\n\r\n${body}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
    child.child.kill('SIGTERM')
    await child.waitFor(/shutting down/)
    const ready = await fetch(`${base}/readyz`, { headers: { connection: 'close' } })
    expect(ready.status).toBe(503)
    // Still serving during the drain.
    expect((await signedPost(base, '/getAccessToken', KEY)).status).toBe(200)

    const texts = await Promise.all(answers)
    const statuses = texts.map((text) => /^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? text)
    expect(statuses).toEqual(Array.from({ length: 40 }, () => '200'))
    expect(await child.exited, child.lines.join('\n')).toEqual({ code: 0, signal: null })
  })
})
