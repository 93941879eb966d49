/**
 * A Redis-only chain's `getAccessToken` hit against a raw ioredis GET of the same key, sequential and
 * 64 in flight, on a private redis-server. Target: the bridge reaches ≥ 0.9× the raw GET + JSON.parse throughput.
 * The 64 reads in flight are of 64 different keys, each one GET for both: the bridge shares one read among the
 * concurrent reads of one key (a herd), which a line of its own shows apart.
 */
import { createBridge, type AppKey } from '@open-bridge/core'
import { redisStore } from '@open-bridge/adapter-redis'
import { Redis } from 'ioredis'
import { startRedisServer } from '../test-support/redis-server.js'
import { compare } from './measure.js'

const BATCH = 64

export async function run(): Promise<void> {
  const server = await startRedisServer()
  const raw = new Redis(server.url)
  // The recommended set-up: the store's own fail-fast client. A second bridge shares the raw GET's client,
  // which shows what the store itself costs apart from the client's options.
  const bridge = createBridge({ stores: [redisStore({ url: server.url })] })
  const sameClientBridge = createBridge({ stores: [redisStore({ client: raw })] })
  try {
    const key: AppKey = { appid: 'wxbench0000000001', platform: 'weixin-mp' }
    const storageKey = 'uni-id:weixin-mp:wxbench0000000001:access-token'
    // A realistic value: a WeChat access_token is 136–157 characters.
    await bridge.setAccessToken(key, { access_token: 'A'.repeat(150), expires_in: 7200 }, 7200)
    if ((await bridge.getAccessToken(key))?.access_token.length !== 150 || (await raw.get(storageKey)) === null) {
      throw new Error('bench setup: the key is not where the bench expects it')
    }

    const batch = (read: () => Promise<unknown>) => () => {
      const reads: Promise<unknown>[] = new Array(BATCH)
      for (let i = 0; i < BATCH; i++) reads[i] = read()
      return Promise.all(reads)
    }
    const keys: AppKey[] = Array.from({ length: BATCH }, (_, i) => ({
      appid: `wxbench${String(i).padStart(10, '0')}`,
      platform: 'weixin-mp',
    }))
    const storageKeys = keys.map((k) => `uni-id:weixin-mp:${k.appid}:access-token`)
    for (const k of keys) await bridge.setAccessToken(k, { access_token: 'A'.repeat(150), expires_in: 7200 }, 7200)
    const spread = (read: (i: number) => Promise<unknown>) => () => {
      const reads: Promise<unknown>[] = new Array(BATCH)
      for (let i = 0; i < BATCH; i++) reads[i] = read(i)
      return Promise.all(reads)
    }
    const rawGet = () => raw.get(storageKey)
    // The floor for any read that hands back an object rather than a string.
    const rawGetParse = async () => JSON.parse((await raw.get(storageKey))!) as unknown
    const bridgeGet = () => bridge.getAccessToken(key)
    const sameClientGet = () => sameClientBridge.getAccessToken(key)

    await compare(
      'redis: sequential hit (one awaited read at a time)',
      [
        { name: 'raw ioredis GET', run: rawGet },
        { name: 'raw ioredis GET + JSON.parse', run: rawGetParse },
        { name: 'bridge.getAccessToken (redis only)', run: bridgeGet },
        { name: 'bridge.getAccessToken (store on that client)', run: sameClientGet },
      ],
      { iterations: 3_000, baselines: ['raw ioredis GET', 'raw ioredis GET + JSON.parse'] },
    )
    await compare(
      `redis: ${BATCH} reads in flight (${BATCH} keys)`,
      [
        { name: `raw ioredis GET ×${BATCH}`, run: spread((i) => raw.get(storageKeys[i]!)), opsPerRun: BATCH },
        {
          name: `raw ioredis GET + JSON.parse ×${BATCH}`,
          run: spread(async (i) => JSON.parse((await raw.get(storageKeys[i]!))!) as unknown),
          opsPerRun: BATCH,
        },
        {
          name: `bridge.getAccessToken ×${BATCH}`,
          run: spread((i) => bridge.getAccessToken(keys[i]!)),
          opsPerRun: BATCH,
        },
        {
          name: `bridge.getAccessToken (store on that client) ×${BATCH}`,
          run: spread((i) => sameClientBridge.getAccessToken(keys[i]!)),
          opsPerRun: BATCH,
        },
        { name: `bridge.getAccessToken, one key ×${BATCH} (one read shared)`, run: batch(bridgeGet), opsPerRun: BATCH },
      ],
      { iterations: 150, baselines: [`raw ioredis GET ×${BATCH}`, `raw ioredis GET + JSON.parse ×${BATCH}`] },
    )

    // The fence of a write under the refresh lock: one Lua compare-and-set against a plain SET of the same record.
    const store = redisStore({ url: server.url })
    const writeKey = 'uni-id:weixin-mp:wxbenchwrite00001:access-token'
    let n = 0
    const next = () => ({ value: { access_token: `${'W'.repeat(140)}${++n}` }, expiresAt: Date.now() + 7_200_000 })
    const casKey = 'uni-id:weixin-mp:wxbenchwrite00002:access-token'
    let current = next()
    await store.set(casKey, current)
    const plainSet = () => store.set(writeKey, next())
    // Each write expects the record the previous one wrote, as a holder expects the record it saw.
    const fencedSet = async () => {
      const record = next()
      if (!(await store.compareAndSet!(casKey, current, record))) throw new Error('bench: compare-and-set refused')
      current = record
    }
    await compare(
      'redis: a write (sequential), compare-and-set against plain SET',
      [
        { name: 'store.set (SET PX)', run: plainSet },
        { name: 'store.compareAndSet (Lua)', run: fencedSet },
      ],
      { iterations: 3_000, baselines: ['store.set (SET PX)'] },
    )
    await store.close()
  } finally {
    await bridge.close()
    await sameClientBridge.close()
    await raw.quit()
    await server.stop()
  }
}
