/**
 * sqliteStore on a temp file: get and set ops/s, and a SQLite-only chain's `getAccessToken` hit.
 */
import { createBridge, type AppKey } from '@open-bridge/core'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compare } from './measure.js'

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'open-bridge-bench-sqlite-'))
  const store = sqliteStore({ path: join(dir, 'bench.db') })
  const bridge = createBridge({ stores: [store] })
  try {
    const key: AppKey = { appid: 'wxbench0000000001', platform: 'weixin-mp' }
    const storageKey = 'uni-id:weixin-mp:wxbench0000000001:access-token'
    const value = { access_token: 'A'.repeat(150), expires_in: 7200 }
    await bridge.setAccessToken(key, value, 7200)
    if ((await store.get(storageKey))?.value.access_token !== value.access_token)
      throw new Error('bench setup: the key is not where the bench expects it')

    let n = 0
    await compare(
      'sqlite: store operations and a SQLite-only chain hit',
      [
        { name: 'store.get (hit)', run: () => store.get(storageKey) },
        { name: 'bridge.getAccessToken (sqlite only)', run: () => bridge.getAccessToken(key) },
        {
          name: 'store.set (one key, replaced)',
          run: () => store.set(storageKey, { value, expiresAt: Date.now() + 7_200_000 }),
        },
        {
          name: 'store.set (new keys)',
          run: () =>
            store.set(`uni-id:weixin-mp:wxbench:user${++n}:session-key`, {
              value: { session_key: 's' },
              expiresAt: null,
            }),
        },
      ],
      { iterations: 5_000, baselines: ['store.get (hit)'] },
    )
  } finally {
    await bridge.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
