/**
 * Replay protection for a fleet: a nonce is claimed in the first shared tier (Redis `SET NX PX` through its
 * lock; the SQLite lock table for processes on one host), so every replica refuses it, also after a restart.
 * Signing rule v2 binds the request to its target: a request signed for one centre is refused by another.
 */
import { request as httpRequest } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { signRequest } from '../src/sign-request.js'
import { startServer, type RunningServer } from '../src/serve.js'

const SECRET = 'REPLAY-signing-secret-0a8b7c6d5e'
const KEY = { appid: 'wx-replay', platform: 'weixin-mp' }

let redis: RedisServer
let dir: string
let running: RunningServer[]
let logs: string[]
const logStream = { write: (line: string) => void logs.push(line) }

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis.stop()
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-replay-'))
  running = []
  logs = []
})
afterEach(async () => {
  await Promise.all(running.map((server) => server.close()))
  await rm(dir, { recursive: true, force: true })
})

async function replica(stores: string[], auth: Record<string, unknown> = {}): Promise<RunningServer> {
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores,
      server: { port: 0, auth: { signingSecret: SECRET, ...auth } },
      schedule: { enable: false },
    }),
  )
  const server = await startServer({ cwd: dir, env: {}, logStream })
  running.push(server)
  return server
}

interface Captured {
  path: string
  body: string
  headers: Record<string, string>
}

function capture(path: string, body: object, audience: string, version: 1 | 2 = 2): Captured {
  const text = JSON.stringify(body)
  return {
    path,
    body: text,
    headers: { ...signRequest({ secret: SECRET, method: 'POST', path, body: text, audience, version }) },
  }
}

/** Sends a captured request as it was (headers and bytes), optionally with another Host header. */
function send(base: string, captured: Captured, host?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(captured.path, base),
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(captured.body),
          ...captured.headers,
          ...(host !== undefined ? { host } : {}),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode!, json: text === '' ? undefined : JSON.parse(text) }))
      },
    )
    req.on('error', reject)
    req.end(captured.body)
  })
}

const REPLAYED = { errCode: 'E_UNAUTHORIZED', errMsg: 'x-ob-nonce was already used' }
/** A read the signature check let through, on a service with no app configured: 404, not 401. */
const ACCEPTED = { status: 404, json: expect.objectContaining({ errCode: 'E_APP_NOT_CONFIGURED' }) }

describe('replay protection across replicas sharing Redis', () => {
  it('a request one replica answered is refused by the other, and by a replica started after a restart', async () => {
    // Replicas behind one balancer answer to one name: the audience clients sign for.
    const auth = { audience: 'bridge-fleet' }
    const a = await replica(['memory', redis.url], auth)
    const b = await replica(['memory', redis.url], auth)
    expect(logs.some((line) => line.includes('nonces claimed in tier redis'))).toBe(true)

    const set = capture('/setAccessToken', { ...KEY, value: { access_token: 'first' }, expiresIn: 600 }, 'bridge-fleet')
    expect(await send(a.url, set)).toEqual({ status: 200, json: null })
    expect(await send(b.url, set)).toEqual({ status: 401, json: REPLAYED })
    expect(await send(a.url, set)).toEqual({ status: 401, json: REPLAYED })

    // A restart forgets the process's table; the tier remembers.
    await a.close()
    running.splice(running.indexOf(a), 1)
    const again = await replica(['memory', redis.url], auth)
    expect(await send(again.url, set)).toEqual({ status: 401, json: REPLAYED })
  })

  it('a captured setAccessToken replayed after a rotation does not write the old token back', async () => {
    const auth = { audience: 'bridge-fleet' }
    const a = await replica(['memory?maxTtl=1', redis.url], auth)
    const b = await replica(['memory?maxTtl=1', redis.url], auth)
    const old = capture(
      '/setAccessToken',
      { ...KEY, value: { access_token: 'old-token' }, expiresIn: 600 },
      'bridge-fleet',
    )
    expect((await send(a.url, old)).status).toBe(200)
    const rotation = capture(
      '/setAccessToken',
      { ...KEY, value: { access_token: 'new-token' }, expiresIn: 600 },
      'bridge-fleet',
    )
    expect((await send(b.url, rotation)).status).toBe(200)

    for (const server of [a, b]) expect(await send(server.url, old)).toEqual({ status: 401, json: REPLAYED })
    const read = await send(a.url, capture('/getAccessToken', KEY, 'bridge-fleet'))
    expect(read).toEqual({ status: 200, json: { access_token: 'new-token' } })
  })

  it('processes on one host sharing a SQLite file refuse each other’s nonces', async () => {
    const a = await replica(['memory', 'sqlite:./shared.db'], { audience: 'bridge-host' })
    const b = await replica(['memory', 'sqlite:./shared.db'], { audience: 'bridge-host' })
    expect(logs.some((line) => line.includes('nonces claimed in tier sqlite'))).toBe(true)
    const read = capture('/getAccessToken', KEY, 'bridge-host')
    expect(await send(a.url, read)).toEqual(ACCEPTED)
    expect(await send(b.url, read)).toEqual({ status: 401, json: REPLAYED })
  })
})

describe('signing rule v2: the request is bound to its target', () => {
  it('a request signed for host A is refused by host B (same secret); with an audience, a forged Host does not help', async () => {
    const a = await replica(['memory'])
    const b = await replica(['memory'])
    const forA = capture('/getAccessToken', KEY, new URL(a.url).host)
    expect(await send(b.url, forA)).toMatchObject({
      status: 401,
      json: { errMsg: 'the request signature does not match' },
    })
    expect(await send(a.url, forA)).toEqual(ACCEPTED)

    const named = await replica(['memory'], { audience: 'centre-b' })
    const forA2 = capture('/getAccessToken', KEY, new URL(a.url).host)
    expect((await send(named.url, forA2, new URL(a.url).host)).status).toBe(401)
    expect(await send(named.url, capture('/getAccessToken', KEY, 'centre-b'))).toEqual(ACCEPTED)
  })

  it('v1 signatures are refused unless auth.acceptV1Signatures says otherwise', async () => {
    const strict = await replica(['memory'])
    const refused = await send(strict.url, capture('/getAccessToken', KEY, 'unused', 1))
    expect(refused).toMatchObject({
      status: 401,
      json: { errCode: 'E_UNAUTHORIZED', errMsg: expect.stringMatching(/v2/) },
    })
    const lenient = await replica(['memory'], { acceptV1Signatures: true })
    expect(await send(lenient.url, capture('/getAccessToken', KEY, 'unused', 1))).toEqual(ACCEPTED)
    expect(await send(lenient.url, capture('/getAccessToken', KEY, new URL(lenient.url).host))).toEqual(ACCEPTED)
  })
})
