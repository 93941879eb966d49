/** `keys()`: the storage keys a Redis tier holds, under its prefix only, without its lock keys, through SCAN. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { isBridgeError } from '@open-bridge/core'
import { RedisStoreError, redisStore } from '../src/index.js'

let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server?.stop())

const list = async (iterable: AsyncIterable<string>) => {
  const found: string[] = []
  for await (const key of iterable) found.push(key)
  return found.sort()
}
const live = (token: string) => ({ value: { access_token: token }, expiresAt: Date.now() + 60_000 })

describe('redisStore keys()', () => {
  it('lists every credential key under its prefix (glob characters in the prefix taken literally), no lock key', async () => {
    const store = redisStore({ url: server.url, keyPrefix: 'a*[x]:' })
    const other = redisStore({ url: server.url, keyPrefix: 'ab:' })
    const keys = Array.from({ length: 1200 }, (_, i) => `uni-id:weixin-mp:wxkeys${i}:access-token`)
    await Promise.all(keys.map((key) => store.set(key, live(key))))
    await other.set('uni-id:weixin-mp:wxother:access-token', live('other'))
    await store.lock!.acquire('uni-id:weixin-mp:wxkeys1:access-token', 'me', 60_000)
    expect(await list(store.keys!())).toEqual([...keys].sort())
    expect(await list(other.keys!())).toEqual(['uni-id:weixin-mp:wxother:access-token'])
    await Promise.all([store.close(), other.close()])
  })

  it('a server that cannot be reached: a RedisStoreError, no password in it', async () => {
    const store = redisStore({ url: `redis://:walk-pw-55@127.0.0.1:${await freePort()}`, socketTimeout: 200 })
    const error = await list(store.keys!()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RedisStoreError)
    expect(isBridgeError(error)).toBe(true)
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain('walk-pw-55')
    await store.close()
  })
})
