import { createServer as createHttpServer } from 'node:http'
import { createServer, type Server } from 'node:net'
import { inspect } from 'node:util'
import { createBridge, memoryStore, type CredentialBridge, type CredentialStore } from '@open-bridge/core'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { Agent } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isRemoteError, remoteBridge, type RemoteBridgeOptions } from '../src/index.js'
import { MP, SECRET, startCentre, type Centre } from './centre.js'

const KEY = { appid: MP.appid, platform: 'weixin-mp' as const }
const STORAGE_KEY = `uni-id:weixin-mp:${MP.appid}:access-token`

let fake: FakeWeChat
let centre: Centre
/** Every error a test met: none may show the secret or a signature (checked at the end). */
const seen: unknown[] = []
const opened: CredentialBridge[] = []

function service(
  options: Partial<RemoteBridgeOptions> = {},
  store: CredentialStore = memoryStore({ maxTtl: 60_000 }),
): CredentialBridge {
  const bridge = createBridge({
    stores: [store],
    source: remoteBridge({ url: centre.url, secret: SECRET, ...options }),
  })
  opened.push(bridge)
  return bridge
}

async function failure(work: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await work
  } catch (error) {
    seen.push(error)
    return error as Record<string, unknown>
  }
  throw new Error('expected a failure')
}

beforeAll(async () => {
  fake = await startFakeWeChat({ apps: [MP] })
  centre = await startCentre(fake.url)
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((bridge) => bridge.close()))
})
afterAll(async () => {
  await centre?.close()
  await fake?.close()
})

describe('remoteBridge against a central open-bridge on loopback', () => {
  it('reads through the centre, signed, and learns the life from x-ob-expires-in', async () => {
    const store = memoryStore()
    const business = service({}, store)
    const before = fake.tokensIssued()
    const token = await business.getAccessToken(KEY)
    expect(token?.access_token).toMatch(/\S/)
    // The centre holds the same value (it fetched it from the platform once).
    expect(await centre.running.bridge.getAccessToken(KEY)).toEqual(token)
    expect(fake.tokensIssued() - before).toBeLessThanOrEqual(1)
    // The fake's tokens live 7200 s (less the fetcher's margin): far beyond the 60 s used when no header comes.
    const record = await store.get(STORAGE_KEY)
    expect(record!.expiresAt! - Date.now()).toBeGreaterThan(3600_000)
    // A second service reads the centre's value, the platform is not asked again.
    const issued = fake.tokensIssued()
    expect(await service().getAccessToken(KEY)).toEqual(token)
    expect(fake.tokensIssued()).toBe(issued)
  })

  it("getRecord through remoteBridge: the centre's record life (x-ob-expires-in), also behind a short memory tier", async () => {
    const business = service({}, memoryStore({ maxTtl: 1_000 }))
    const record = await business.getRecord('access_token', KEY)
    const centred = await centre.running.bridge.getRecord('access_token', KEY)
    expect(record?.value).toEqual(centred?.value)
    // Whole seconds on the wire: the business side's expiry is within a second of the centre's.
    expect(Math.abs(record!.expiresAt! - centred!.expiresAt!)).toBeLessThanOrEqual(2_000)
    expect(record!.expiresAt! - Date.now()).toBeGreaterThan(3600_000)
    // A hit in the memory tier (kept 1 s there) reports the same expiry, not the memory tier's.
    expect((await business.getRecord('access_token', KEY))?.expiresAt).toBe(record!.expiresAt)
  })

  it('a kind the centre has nothing for resolves null (session_key of an unknown user)', async () => {
    const business = service()
    expect(await business.getSessionKey({ ...KEY, openid: 'o-nobody' })).toBeNull()
  })

  it('a refused signature is E_REMOTE_UNAUTHORIZED, and nothing is cached', async () => {
    const business = service({ secret: 'a-wrong-secret-of-length-32-----' })
    const error = await failure(business.getAccessToken(KEY))
    expect(isRemoteError(error, 'E_REMOTE_UNAUTHORIZED')).toBe(true)
    expect(error.status).toBe(401)
    expect(error.route).toBe('/getAccessToken')
    // Unsigned requests to a signing centre are refused the same way.
    const unsigned = createBridge({ stores: [memoryStore()], source: remoteBridge({ url: centre.url }) })
    opened.push(unsigned)
    expect(isRemoteError(await failure(unsigned.getAccessToken(KEY)), 'E_REMOTE_UNAUTHORIZED')).toBe(true)
  })

  it("passes the centre's errCode through (an app the centre does not configure)", async () => {
    const error = await failure(service().getAccessToken({ appid: 'wxnotconfigured01', platform: 'weixin-mp' }))
    expect(isRemoteError(error)).toBe(true)
    expect(error.code).toBe('E_APP_NOT_CONFIGURED')
    expect(error.status).toBe(404)
  })

  it('a centre that is down is E_REMOTE_UNAVAILABLE at once, no hang', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as { port: number }).port
    await new Promise((resolve) => probe.close(resolve))
    const business = createBridge({
      stores: [memoryStore()],
      source: remoteBridge({ url: `http://127.0.0.1:${port}`, secret: SECRET }),
    })
    opened.push(business)
    const started = Date.now()
    const error = await failure(business.getAccessToken(KEY))
    expect(isRemoteError(error, 'E_REMOTE_UNAVAILABLE')).toBe(true)
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('a centre that accepts but never answers is cut at `timeout` (E_REMOTE_UNAVAILABLE)', async () => {
    const sockets = new Set<import('node:net').Socket>()
    const silent: Server = createServer((socket) => sockets.add(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`
      const business = createBridge({
        stores: [memoryStore()],
        source: remoteBridge({ url, secret: SECRET, timeout: 300 }),
      })
      opened.push(business)
      const error = await failure(business.getAccessToken(KEY))
      expect(isRemoteError(error, 'E_REMOTE_UNAVAILABLE')).toBe(true)
      expect(String(error.message)).toMatch(/timeout/i)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it("the bridge's fetchTimeout (ctx.signal) cuts the request: E_FETCH_TIMEOUT, and close() is not held by it", async () => {
    const sockets: import('node:net').Socket[] = []
    const silent: Server = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`
      const business = createBridge({
        stores: [memoryStore()],
        source: remoteBridge({ url, timeout: 60_000 }),
        fetchTimeout: 300,
      })
      const error = await failure(business.getAccessToken(KEY))
      expect(error.code).toBe('E_FETCH_TIMEOUT')
      // The source's own pool closes once its requests are done: an aborted request is done, a hung one would
      // hold close() for the 60 s timeout.
      const closed = await Promise.race([
        business.close().then(() => true),
        new Promise((resolve) => setTimeout(resolve, 5000, false)),
      ])
      expect(closed).toBe(true)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('the next call works after the centre restarts (same port, kept-alive sockets gone)', async () => {
    const business = service()
    const first = await business.getAccessToken(KEY)
    expect(first).not.toBeNull()
    const port = centre.port
    await centre.close()
    await business.removeAccessToken(KEY)
    expect(isRemoteError(await failure(business.getAccessToken(KEY)), 'E_REMOTE_UNAVAILABLE')).toBe(true)
    centre = await startCentre(fake.url, port)
    // The bridge remembers the failure for a short backoff; a new read after it goes to the restarted centre.
    await business.removeAccessToken(KEY)
    const again = await business.getAccessToken(KEY)
    expect(again?.access_token).toMatch(/\S/)
  })

  it('a kept-alive socket the centre drops under a request is retried once on a new connection', async () => {
    // A stand-in centre that answers the first request of each connection and drops the connection at the second.
    let answered = 0
    const perSocket = new WeakMap<object, number>()
    const flaky = createHttpServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1
      perSocket.set(req.socket, n)
      if (n > 1) return void req.socket.destroy()
      answered++
      const body = JSON.stringify({ access_token: `AT-${answered}` })
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body))
    })
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve))
    // One connection, so the second request is sent on the kept-alive socket the stand-in drops.
    const pool = new Agent({ connections: 1 })
    try {
      const url = `http://127.0.0.1:${(flaky.address() as { port: number }).port}`
      const business = createBridge({ stores: [memoryStore()], source: remoteBridge({ url, dispatcher: pool }) })
      opened.push(business)
      expect((await business.getAccessToken(KEY))?.access_token).toBe('AT-1')
      await business.removeAccessToken(KEY)
      expect((await business.getAccessToken(KEY))?.access_token).toBe('AT-2')
    } finally {
      await Promise.all(opened.splice(0).map((bridge) => bridge.close()))
      await pool.close()
      flaky.closeAllConnections()
      await new Promise((resolve) => flaky.close(resolve))
    }
  })

  it('50 services reporting one dead token cause one refresh at the centre', async () => {
    // One shared pool for the 50 services: the caller's dispatcher, which `close()` must leave open.
    const pool = new Agent({ connections: 8 })
    try {
      const services = Array.from({ length: 50 }, () => service({ dispatcher: pool }))
      const tokens = await Promise.all(services.map((s) => s.getAccessToken(KEY)))
      const dead = tokens[0]!.access_token
      expect(new Set(tokens.map((t) => t!.access_token))).toEqual(new Set([dead]))
      expect(fake.revokeToken(dead)).toBe(true)

      const fetches: string[] = []
      const off = centre.running.bridge.on('fetch', (event) => fetches.push(event.reason))
      const issued = fake.tokensIssued()
      const fresh = await Promise.all(services.map((s) => s.refreshAccessToken(KEY, { ifValue: dead })))
      off()
      expect(fetches).toEqual(['rejected'])
      expect(fake.tokensIssued() - issued).toBe(1)
      const next = fresh[0]!.access_token
      expect(next).not.toBe(dead)
      expect(fake.isTokenValid(next)).toBe(true)
      expect(fresh.every((t) => t!.access_token === next)).toBe(true)

      await Promise.all(opened.splice(0).map((bridge) => bridge.close()))
      // The pool is still usable: the sources did not close what they were given.
      expect(await service({ dispatcher: pool }).getAccessToken(KEY)).toEqual(fresh[0])
    } finally {
      await Promise.all(opened.splice(0).map((bridge) => bridge.close()))
      await pool.close()
    }
  })

  it("close() closes the source's own pool: its kept-alive connection to the centre ends", async () => {
    await Promise.all(opened.splice(0).map((bridge) => bridge.close()))
    const connections = () =>
      new Promise<number>((resolve, reject) =>
        centre.running.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
      )
    const business = createBridge({
      stores: [memoryStore()],
      source: remoteBridge({ url: centre.url, secret: SECRET }),
    })
    await business.getAccessToken(KEY)
    expect(await connections()).toBeGreaterThanOrEqual(1)
    await business.close()
    const deadline = Date.now() + 5000
    while ((await connections()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await connections()).toBe(0)
  })

  it('refuses malformed options with E_INVALID_ARGUMENT naming the field', () => {
    const cases: Array<[Partial<RemoteBridgeOptions>, string]> = [
      [{ url: 'not a url' }, 'url'],
      [{ url: 'ftp://x' }, 'url'],
      [{ url: 'http://user:pw@x' }, 'url'],
      [{ secret: 'short' }, 'secret'],
      [{ timeout: 0 }, 'timeout'],
      [{ defaultExpiresIn: 0 }, 'defaultExpiresIn'],
      [{ dispatcher: {} as never }, 'dispatcher'],
    ]
    for (const [patch, field] of cases) {
      try {
        remoteBridge({ url: 'http://127.0.0.1:1', ...patch })
        expect.unreachable(field)
      } catch (error) {
        expect(isRemoteError(error, 'E_INVALID_ARGUMENT')).toBe(true)
        expect((error as { field: string }).field).toBe(field)
        seen.push(error)
      }
    }
  })

  it('no error shows the secret or a signature (inspect and JSON)', () => {
    expect(seen.length).toBeGreaterThanOrEqual(8)
    for (const error of seen) {
      for (const text of [inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error)]) {
        expect(text).not.toContain(SECRET)
        expect(text).not.toContain('a-wrong-secret-of-length-32')
        expect(text).not.toMatch(/[0-9a-f]{64}/)
      }
    }
  })
})
