/** `keys()`: the storage keys of the live records a SQLite file holds. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-sqlite-keys-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('sqliteStore keys()', () => {
  it('lists the live records only', async () => {
    const store = sqliteStore({ path: join(dir, 'keys.db') })
    await store.set('uni-id:weixin-mp:wx1:access-token', {
      value: { access_token: 'a' },
      expiresAt: Date.now() + 60_000,
    })
    await store.set('uni-id:weixin-mp:wx2:access-token', { value: { access_token: 'b' }, expiresAt: null })
    await store.set('uni-id:weixin-mp:wx3:access-token', { value: { access_token: 'c' }, expiresAt: Date.now() + 50 })
    await store.lock!.acquire('some-lock', 'me', 60_000)
    await sleep(120)
    const found: string[] = []
    for await (const key of store.keys!()) found.push(key)
    expect(found.sort()).toEqual(['uni-id:weixin-mp:wx1:access-token', 'uni-id:weixin-mp:wx2:access-token'])
    await store.close()
  })
})
