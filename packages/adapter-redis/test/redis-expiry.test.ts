import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { redisStore } from '../src/index.js'

const server: RedisServer = await startRedisServer()
afterAll(() => server.stop())

let n = 0
const uniqueKey = () => `uni-id:weixin-mp:wxexpiry${process.pid}x${++n}:access-token`

describe('redisStore expiry goes by __expiresAt, not only by the key TTL', () => {
  let raw: Redis
  beforeAll(() => {
    raw = new Redis(server.url)
  })
  afterAll(async () => {
    await raw.quit()
  })

  it('does not serve a key whose __expiresAt has passed while Redis still holds it (a lagging replica)', async () => {
    const store = redisStore({ url: server.url })
    try {
      const key = uniqueKey()
      await raw.set(key, JSON.stringify({ access_token: 'OLD', __expiresAt: Date.now() - 1_000 }), 'PX', 60_000)
      expect(await store.get(key)).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it('serves a record up to the ms before its expiresAt and not from that ms on', async () => {
    const store = redisStore({ url: server.url })
    try {
      const key = uniqueKey()
      const expiresAt = Date.now() + 60_000
      await store.set(key, { value: { access_token: 'AT' }, expiresAt })
      // Only Date is faked: the key's own TTL runs on Redis' clock, so the store's check alone decides.
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(expiresAt - 1)
      expect(await store.get(key)).toEqual({ value: { access_token: 'AT' }, expiresAt })
      vi.setSystemTime(expiresAt)
      expect(await store.get(key)).toBeUndefined()
    } finally {
      vi.useRealTimers()
      await store.close()
    }
  })
})
