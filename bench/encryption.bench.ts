/**
 * `npm run bench -- encryption`: what sealing costs on a read. A Redis-tier hit and a SQLite-tier hit through the
 * bridge, sealed (AES-256-GCM) against plain, in the same run; and a memory-tier hit with encryption on against one
 * without (the memory tier stays plain: it should cost the same). Target: a sealed tier hit ≤ 1.15× the plain one.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  createKeyring,
  memoryStore,
  sealedStore,
  type AppKey,
  type CredentialBridge,
} from '@open-bridge/core'
import { startRedisServer } from '../test-support/redis-server.js'
import { compare } from './measure.js'

const key: AppKey = { appid: 'wxbenchsealed0001', platform: 'weixin-mp' }
// A realistic value: a WeChat access_token is 136–157 characters.
const value = { access_token: 'A'.repeat(150), expires_in: 7200 }
const encryption = { keys: [{ id: 'bench', key: randomBytes(32).toString('base64') }] }
/** The same seal without the open cache: every hit pays one AES-GCM open (what a first read of a record costs). */
const uncached = { keyring: createKeyring(encryption.keys), openCacheSize: 0 }

async function ready(bridge: CredentialBridge): Promise<() => Promise<unknown>> {
  await bridge.setAccessToken(key, value, 7200)
  if ((await bridge.getAccessToken(key))?.access_token.length !== 150) throw new Error('bench setup: no value')
  return () => bridge.getAccessToken(key)
}

export async function run(): Promise<void> {
  const server = await startRedisServer()
  const dir = mkdtempSync(join(tmpdir(), 'open-bridge-bench-sealed-'))
  const bridges: CredentialBridge[] = []
  const make = (options: Parameters<typeof createBridge>[0]) => {
    const bridge = createBridge(options)
    bridges.push(bridge)
    return bridge
  }
  try {
    const redisPlain = await ready(make({ stores: [redisStore({ url: server.url, keyPrefix: 'plain:' })] }))
    const redisSealed = await ready(
      make({ stores: [redisStore({ url: server.url, keyPrefix: 'sealed:' })], encryption }),
    )
    const redisUncached = await ready(
      make({ stores: [sealedStore(redisStore({ url: server.url, keyPrefix: 'uncached:' }), uncached)] }),
    )
    await compare(
      'encryption: a Redis-tier hit (redis only), sealed against plain',
      [
        { name: 'redis hit, plain', run: redisPlain },
        { name: 'redis hit, sealed', run: redisSealed },
        { name: 'redis hit, sealed, no open cache', run: redisUncached },
      ],
      { iterations: 3_000, baselines: ['redis hit, plain'] },
    )

    const sqlitePlain = await ready(make({ stores: [sqliteStore({ path: join(dir, 'plain.db') })] }))
    const sqliteSealed = await ready(make({ stores: [sqliteStore({ path: join(dir, 'sealed.db') })], encryption }))
    const sqliteUncached = await ready(
      make({ stores: [sealedStore(sqliteStore({ path: join(dir, 'uncached.db') }), uncached)] }),
    )
    await compare(
      'encryption: a SQLite-tier hit (sqlite only), sealed against plain',
      [
        { name: 'sqlite hit, plain', run: sqlitePlain },
        { name: 'sqlite hit, sealed', run: sqliteSealed },
        { name: 'sqlite hit, sealed, no open cache', run: sqliteUncached },
      ],
      { iterations: 20_000, baselines: ['sqlite hit, plain'] },
    )

    const memoryPlain = await ready(make({ stores: [memoryStore(), sqliteStore({ path: join(dir, 'm-plain.db') })] }))
    const memorySealed = await ready(
      make({ stores: [memoryStore(), sqliteStore({ path: join(dir, 'm-sealed.db') })], encryption }),
    )
    await compare(
      'encryption: a memory-tier hit (memory → sqlite), encryption on against off',
      [
        { name: 'memory hit, encryption off', run: memoryPlain },
        { name: 'memory hit, encryption on', run: memorySealed },
      ],
      { iterations: 200_000, baselines: ['memory hit, encryption off'] },
    )
  } finally {
    await Promise.all(bridges.map((bridge) => bridge.close()))
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
