import { isBridgeError } from '@open-bridge/core'
import { everyRendering } from '@open-bridge/core/testing'
import { mongoStore } from '@open-bridge/adapter-mongo'
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from '../../../test-support/redis-server.js'

/**
 * No MongoDB server exists here, and none is faked: these tests prove what a real TCP port can prove — that
 * the store gives up quickly on a server that is down, reports it without the url's password, and makes NEW
 * connection attempts later (a plain `net` server counts the sockets it accepts, then drops them).
 */
const PASSWORD = 'Mongo-pw-31337'
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

let server: Server | undefined
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** Listens on `port`, counting accepted sockets; each is closed at once (it speaks no MongoDB). */
async function acceptAndDrop(port: number): Promise<{ accepted: () => number }> {
  let accepted = 0
  server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject)
    server!.listen(port, '127.0.0.1', () => resolve())
  })
  return { accepted: () => accepted }
}

describe('mongoStore reconnects (real TCP ports, no MongoDB)', () => {
  it('fails fast on a refused port, backs off, then makes a fresh connection attempt once the port accepts', async () => {
    const port = await freePort()
    const store = mongoStore({
      url: `mongodb://app:${PASSWORD}@127.0.0.1:${port}/?directConnection=true`,
      dbName: 'app',
      serverSelectionTimeout: 300,
      connectTimeout: 300,
    })
    const key = 'uni-id:weixin-mp:wx1:access-token'
    try {
      // 1. Nothing listens: bounded by the selection timeout (the driver's default would wait 30 s).
      let started = performance.now()
      const first = await store
        .set(key, { value: { access_token: 'MONGO-TOKEN-42' }, expiresAt: null })
        .catch((e: unknown) => e)
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(first).toMatchObject({ name: 'MongoStoreError', code: 'E_MONGO_UNAVAILABLE' })
      expect(isBridgeError(first)).toBe(true)
      const shown = everyRendering(first)
      expect(shown).not.toContain(PASSWORD)
      expect(shown).not.toContain('MONGO-TOKEN-42')

      // 2. Right after: the store backs off and answers at once, without a new wait.
      started = performance.now()
      await expect(store.get(key)).rejects.toMatchObject({
        code: 'E_MONGO_UNAVAILABLE',
        message: expect.stringContaining('next connection attempt'),
      })
      expect(performance.now() - started).toBeLessThan(100)

      // 3. The port starts accepting: a later operation tries again with a new client (sockets arrive).
      const listener = await acceptAndDrop(port)
      const deadline = Date.now() + 15_000
      const errors: unknown[] = []
      while (listener.accepted() === 0 && Date.now() < deadline) {
        errors.push(await store.get(key).catch((e: unknown) => e))
        await sleep(100)
      }
      expect(listener.accepted()).toBeGreaterThan(0)
      for (const error of errors) {
        expect(isBridgeError(error)).toBe(true)
        expect(everyRendering(error)).not.toContain(PASSWORD)
      }
    } finally {
      await store.close()
    }
  })

  it('keys() (the walk of export / copy) on a refused port fails typed, without the password', async () => {
    const port = await freePort()
    const store = mongoStore({
      url: `mongodb://app:${PASSWORD}@127.0.0.1:${port}/?directConnection=true`,
      dbName: 'app',
      serverSelectionTimeout: 200,
      connectTimeout: 200,
    })
    try {
      let error: unknown
      try {
        for await (const _ of store.keys!()) break
      } catch (e) {
        error = e
      }
      expect(error).toMatchObject({ name: 'MongoStoreError', code: 'E_MONGO_UNAVAILABLE' })
      expect(everyRendering(error)).not.toContain(PASSWORD)
    } finally {
      await store.close()
    }
  })

  it('closes every client it gave up on: after close() no socket reaches the port any more', async () => {
    const port = await freePort()
    const listener = await acceptAndDrop(port)
    const store = mongoStore({
      url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
      dbName: 'app',
      serverSelectionTimeout: 200,
      connectTimeout: 200,
    })
    const deadline = Date.now() + 10_000
    // Several failed attempts, each with its own client.
    while (listener.accepted() < 3 && Date.now() < deadline) {
      await store.get('uni-id:weixin-mp:wx2:access-token').catch(() => undefined)
      await sleep(50)
    }
    expect(listener.accepted()).toBeGreaterThanOrEqual(3)
    await store.close()
    await sleep(300)
    const afterClose = listener.accepted()
    // A leaked client would keep its monitor dialling (every 500 ms while selecting, or heartbeat).
    await sleep(1_500)
    expect(listener.accepted()).toBe(afterClose)
    await expect(store.get('uni-id:weixin-mp:wx2:access-token')).rejects.toMatchObject({ code: 'E_MONGO_UNAVAILABLE' })
  })

  it('close() while a connection attempt is under way ends it: the waiting call fails typed at once and no client dials on', async () => {
    const port = await freePort()
    const listener = await acceptAndDrop(port)
    const store = mongoStore({
      url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
      dbName: 'app',
      // Left alone, the attempt would wait 30 s for a server: close() must end it, not let it run out.
      serverSelectionTimeout: 30_000,
      connectTimeout: 200,
    })
    const waiting = store.get('uni-id:weixin-mp:wx3:access-token').catch((e: unknown) => e)
    const deadline = Date.now() + 10_000
    while (listener.accepted() < 1 && Date.now() < deadline) await sleep(20)
    expect(listener.accepted()).toBeGreaterThanOrEqual(1)
    await store.close()
    const error = await Promise.race([waiting, sleep(10_000).then(() => 'still waiting 10 s after close()')])
    expect(isBridgeError(error)).toBe(true)
    expect(error).toMatchObject({ name: 'MongoStoreError', code: 'E_MONGO_UNAVAILABLE' })
    await sleep(300)
    const afterClose = listener.accepted()
    await sleep(1_500)
    expect(listener.accepted()).toBe(afterClose)
  })

  it.each([
    ['connectTimeout', { connectTimeout: 2 ** 31 }],
    ['serverSelectionTimeout', { serverSelectionTimeout: 0 }],
    ['serverSelectionTimeout', { serverSelectionTimeout: 1.5 }],
  ])('refuses a %s Node timers cannot hold, or that is no positive integer', (field, extra) => {
    expect(() => mongoStore({ url: 'mongodb://127.0.0.1:9', dbName: 'app', ...extra })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field }),
    )
  })
})
