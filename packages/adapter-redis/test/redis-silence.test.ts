/**
 * A connection that is up but silent (a partition, a frozen server): a real redis-server behind a real TCP relay
 * that can stop passing Redis's replies on. The store's own client drops the socket after `socketTimeout` with
 * commands waiting, those commands fail, and it reconnects once the path is back; an idle client is left alone.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { redisStore } from '../src/index.js'

/** A TCP relay to `port`; while `silent`, what the server sends is held back (nothing reaches the client). */
async function silenceableRelay(port: number) {
  const sockets = new Set<Socket>()
  let silent = false
  let accepted = 0
  const server: Server = createServer((client) => {
    accepted++
    const upstream = createConnection({ host: '127.0.0.1', port })
    sockets.add(client).add(upstream)
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => {
      if (!silent) client.write(chunk)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return {
    url: `redis://127.0.0.1:${address.port}`,
    setSilent(value: boolean) {
      silent = value
    },
    connections: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

let redis: RedisServer
let relay: Awaited<ReturnType<typeof silenceableRelay>>

beforeAll(async () => {
  redis = await startRedisServer()
  relay = await silenceableRelay(redis.port)
})

afterAll(async () => {
  await relay?.close()
  await redis?.stop()
})

/** Settles `promise` or resolves `'pending'` after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([promise, sleep(ms, 'pending' as const)])
}

describe('a silent connection', () => {
  it('fails the reads waiting on it after socketTimeout, then reconnects once replies flow again', async () => {
    const store = redisStore({ url: relay.url, socketTimeout: 300 })
    try {
      const key = 'uni-id:weixin-mp:wxsilence00001:access-token'
      await store.set(key, { value: { access_token: 'before-the-silence' }, expiresAt: null })
      expect((await store.get(key))?.value).toEqual({ access_token: 'before-the-silence' })
      const before = relay.connections()

      relay.setSilent(true)
      const reads = [store.get(key), store.get(key), store.get(key)].map((read) => read.catch((e: unknown) => e))
      // Dropped after 300–375 ms of silence; 5 s is the generous bound of a loaded machine, not a timing claim.
      const settled = await within(Promise.all(reads), 5_000)
      expect(settled).not.toBe('pending')
      for (const error of settled as unknown[]) {
        expect(error).toMatchObject({ name: 'RedisStoreError', code: 'E_REDIS_UNAVAILABLE' })
      }

      relay.setSilent(false)
      let after: unknown
      for (let attempt = 0; attempt < 100 && after === undefined; attempt++) {
        after = await store.get(key).then(
          (record) => record?.value,
          async () => {
            await sleep(100)
            return undefined
          },
        )
      }
      expect(after).toEqual({ access_token: 'before-the-silence' })
      expect(relay.connections()).toBeGreaterThan(before) // a new connection, not the silent one
    } finally {
      relay.setSilent(false)
      await store.close()
    }
  }, 30_000)

  it('leaves an idle connection alone: no command waits, so no silence is counted', async () => {
    const store = redisStore({ url: relay.url, socketTimeout: 100 })
    try {
      const key = 'uni-id:weixin-mp:wxsilence00002:access-token'
      await store.set(key, { value: { access_token: 'idle' }, expiresAt: null })
      const before = relay.connections()
      await sleep(600) // six timeouts with nothing asked and nothing said
      expect((await store.get(key))?.value).toEqual({ access_token: 'idle' })
      expect(relay.connections()).toBe(before)
    } finally {
      await store.close()
    }
  })
})
