import type { StoreLock } from '@open-bridge/core'
import type Database from 'better-sqlite3'

/**
 * The refresh lease for processes sharing one file. Each operation is one statement, hence one
 * transaction: acquiring inserts the row, or takes it over only where the current lease has expired.
 */
export function sqliteLock(db: Database.Database): StoreLock {
  const acquire = db.prepare<[string, string, number, number]>(
    `INSERT INTO locks (name, token, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at
     WHERE locks.expires_at <= ?`,
  )
  const release = db.prepare<[string, string]>('DELETE FROM locks WHERE name = ? AND token = ?')
  const extend = db.prepare<[number, string, string, number]>('UPDATE locks SET expires_at = ? WHERE name = ? AND token = ? AND expires_at > ?')

  return {
    acquire: async (name, token, ttlMs) => {
      const now = Date.now()
      return acquire.run(name, token, now + ttlMs, now).changes === 1
    },
    release: async (name, token) => release.run(name, token).changes === 1,
    extend: async (name, token, ttlMs) => {
      const now = Date.now()
      return extend.run(now + ttlMs, name, token, now).changes === 1
    },
  }
}
