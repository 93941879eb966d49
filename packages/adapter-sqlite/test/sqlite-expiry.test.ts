import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-sqlite-expiry-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('sqliteStore writes of a record already expired', () => {
  it('delete the row instead of storing a dead record', async () => {
    const path = join(dir, 'expired-write.db')
    const store = sqliteStore({ path })
    const raw = new Database(path, { readonly: true })
    const rows = () => raw.prepare('SELECT COUNT(*) AS n FROM credentials WHERE key = ?').get('k') as { n: number }
    try {
      await store.set('k', { value: { access_token: 'AT' }, expiresAt: Date.now() + 60_000 })
      expect(rows().n).toBe(1)
      await store.set('k', { value: { access_token: 'DEAD' }, expiresAt: Date.now() - 1 })
      expect(rows().n).toBe(0)
    } finally {
      raw.close()
      await store.close()
    }
  })
})
