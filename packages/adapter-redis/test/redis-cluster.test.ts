import { createBridge } from '@open-bridge/core'
import { runStoreContract } from '@open-bridge/core/testing'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisCluster, type RedisCluster } from '../../../test-support/redis-cluster.js'
import { freePort } from '../../../test-support/redis-server.js'
import { redisStore } from '../src/index.js'

// A real 3-master Cluster on loopback, and a user-owned ioredis `Cluster` set up as the README recommends.
let redis: RedisCluster | undefined
let cluster: Cluster

beforeAll(async () => {
  redis = await startRedisCluster()
  cluster = new Cluster([...redis.nodes], {
    // Top level on a Cluster: its node connections always queue, so this is what makes commands fail fast.
    enableOfflineQueue: false,
    redisOptions: {
      socketTimeout: 1_000,
      connectTimeout: 1_000,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    },
  })
  // Node errors surface as rejected commands; the listener only keeps ioredis from printing them.
  cluster.on('error', () => {})
  // Without the offline queue, commands sent before 'ready' are refused: wait for it (bounded).
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the ioredis Cluster did not become ready within 30 s')), 30_000)
    cluster.once('ready', () => {
      clearTimeout(timer)
      resolve()
    })
  })
})

afterAll(async () => {
  // The store never quits a client it was given: the Cluster is ours to close.
  await cluster?.quit()
  await redis?.stop()
})

runStoreContract('redisStore on a Cluster', {
  create: () => redisStore({ client: cluster }),
  lock: true,
  compareAndSet: true,
  watch: true,
  // A Cluster whose only seed node is a port nothing listens on: every command is refused, no password shows.
  failing: async () => {
    const dead = new Cluster([{ host: '127.0.0.1', port: await freePort() }], {
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      redisOptions: { password: 'Cluster-pw-5071' },
    })
    dead.on('error', () => {})
    return { store: redisStore({ client: dead }), secrets: ['Cluster-pw-5071'], cleanup: () => dead.disconnect() }
  },
})

describe('redisStore on a Cluster: keys spread over the masters', () => {
  it('stores credentials of many apps on more than one master, and reads every one back through the bridge', async () => {
    const bridge = createBridge({ stores: [redisStore({ client: cluster })] })
    const run = `${process.pid}x${Math.random().toString(36).slice(2, 8)}`
    const appids = Array.from({ length: 20 }, (_, i) => `wxcluster${run}n${i}`)
    await Promise.all(
      appids.map((appid) =>
        bridge.setAccessToken({ appid, platform: 'weixin-mp' }, { access_token: `token-${appid}` }, 7200),
      ),
    )

    // Which master holds each key: the one whose slot, asked directly, lists it.
    const masters = cluster.nodes('master')
    expect(masters).toHaveLength(3)
    const holders = new Set<string>()
    for (const appid of appids) {
      const key = `uni-id:weixin-mp:${appid}:access-token`
      const slot = (await cluster.cluster('KEYSLOT', key)) as number
      const holding: string[] = []
      for (const master of masters) {
        const keys = (await master.cluster('GETKEYSINSLOT', slot, 1_000)) as string[]
        if (keys.includes(key)) holding.push(`${master.options.host}:${master.options.port}`)
      }
      expect(holding, `exactly one master holds ${key}`).toHaveLength(1)
      holders.add(holding[0]!)
    }
    expect(holders.size).toBeGreaterThanOrEqual(2)

    for (const appid of appids) {
      expect(await bridge.getAccessToken({ appid, platform: 'weixin-mp' })).toEqual({ access_token: `token-${appid}` })
    }
    await bridge.close()
    // Closing the bridge closed the store, which leaves the caller's Cluster open.
    expect(cluster.status).toBe('ready')
    expect(await cluster.get(`uni-id:weixin-mp:${appids[0]}:access-token`)).not.toBeNull()
  })
})

describe('redisStore on a Cluster: keys() walks every master', () => {
  it('lists the credential keys held on each master, and none of the lock keys', async () => {
    const store = redisStore({ client: cluster, keyPrefix: 'walk:' })
    const written = Array.from({ length: 24 }, (_, i) => `uni-id:weixin-mp:wxwalk${i}:access-token`)
    for (const key of written)
      await store.set(key, { value: { access_token: `t-${key}` }, expiresAt: Date.now() + 60_000 })
    await store.lock!.acquire('uni-id:weixin-mp:wxwalk0:access-token', 'holder', 60_000)
    const listed: string[] = []
    for await (const key of store.keys!()) listed.push(key)
    expect(listed.sort()).toEqual([...written].sort())
    await store.close()
  })
})
