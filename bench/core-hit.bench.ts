/**
 * The memory-hit path of `getAccessToken` against two floors measured in the same run:
 * an awaited plain Map lookup with an expiry check (the least any async API can cost) and raw lru-cache.get.
 * Targets: a hit costs at most 1.3× the awaited Map floor; a registered kind's hit (WeCom's corp token, the Open
 * Platform's kinds) at most 1.1× a first-party `getAccessToken({ appid })` hit.
 */
import { createBridge, keyField, memoryStore, registerKind } from '@open-bridge/core'
import { LRUCache } from 'lru-cache'
import { compare } from './measure.js'

export async function run(): Promise<void> {
  const storageKey = 'uni-id:weixin-mp:wx0123456789abcdef:access-token'
  const value = { access_token: 'ACCESS_TOKEN'.repeat(10) }
  const expiresAt = Date.now() + 3_600_000

  const map = new Map([[storageKey, { value, expiresAt }]])
  const mapGet = async (key: string) => {
    const entry = map.get(key)
    return entry !== undefined && entry.expiresAt > Date.now() ? entry.value : null
  }

  const lru = new LRUCache<string, { value: typeof value; expiresAt: number }>({ max: 10_000 })
  lru.set(storageKey, { value, expiresAt })

  const bridge = createBridge({
    stores: [memoryStore({ max: 10_000 })],
    apps: [{ dcloudAppid: '__UNI__BENCH', platform: 'weixin-mp', appid: 'wx0123456789abcdef', secret: 'unused' }],
  })
  await bridge.setAccessToken({ appid: 'wx0123456789abcdef', platform: 'weixin-mp' }, value, 3600)

  // A kind registered by a family package: its first sight of a key checks the fields and builds the storage key;
  // a hit finds the string in the kind's cache (`KindKeyCache`).
  const corpToken = registerKind<{ corpid: string; agentid: number }, { access_token: string }>({
    name: 'bench_corp_token',
    keyFields: { corpid: keyField.segment(), agentid: keyField.integer(1) },
    storageKey: ({ corpid, agentid }) => `bench:${corpid}:${agentid}:corp-token`,
    credentialField: 'access_token',
  })
  const corp = bridge.credential(corpToken)
  await corp.set({ corpid: 'ww0123456789', agentid: 1000002 }, value, 3600)

  // uniCloud code destructures the module (`const { getAccessToken } = require(…)`): the bound method must cost the same.
  const { getAccessToken } = bridge
  const APPID = 'wx0123456789abcdef'

  await compare(
    'memory hit: getAccessToken vs the awaited floor (1,000,000 awaited calls per round, median of 9)',
    [
      { name: 'awaited Map.get + expiry check', run: () => mapGet(storageKey) },
      { name: 'lru-cache.get (awaited)', run: () => lru.get(storageKey) },
      {
        name: 'bridge.getAccessToken({ appid })',
        run: () => bridge.getAccessToken({ appid: 'wx0123456789abcdef', platform: 'weixin-mp' }),
      },
      {
        name: 'bridge.getAccessToken({ dcloudAppid })',
        run: () => bridge.getAccessToken({ dcloudAppid: '__UNI__BENCH', platform: 'weixin-mp' }),
      },
      {
        name: 'getAccessToken({ appid }), destructured',
        run: () => getAccessToken({ appid: APPID, platform: 'weixin-mp' }),
      },
      {
        name: 'bridge.credential(registered kind).get(key)',
        run: () => corp.get({ corpid: 'ww0123456789', agentid: 1000002 }),
      },
    ],
    {
      iterations: 1_000_000,
      rounds: 9,
      baselines: ['awaited Map.get + expiry check', 'lru-cache.get (awaited)', 'bridge.getAccessToken({ appid })'],
    },
  )
  await bridge.close()
}
