import type { StoreLock } from '@open-bridge/core'
import type Database from 'better-sqlite3'

/**
 * The refresh lease for processes sharing one file. Each operation is one statement, hence one
 * transaction: acquiring inserts the row, or takes it over only where the current lease has expired.
 */
export function sqliteLock(
  db: Database.Database,
  retry: <T>(operation: string, run: () => T) => Promise<T>,
): StoreLock {
  const acquire = db.prepare<[string, string, number, number]>(
    `INSERT INTO locks (name, token, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at
     WHERE locks.expires_at <= ?`,
  )
  const release = db.prepare<[string, string]>('DELETE FROM locks WHERE name = ? AND token = ?')
  const extend = db.prepare<[number, string, string, number]>(
    'UPDATE locks SET expires_at = ? WHERE name = ? AND token = ? AND expires_at > ?',
  )

  // `now` is read at each attempt: a retry after a busy wait must judge expiry at its own time.
  return {
    acquire: (name, token, ttlMs) =>
      retry('lock acquire', () => {
        const now = Date.now()
        return acquire.run(name, token, now + ttlMs, now).changes === 1
      }),
    release: (name, token) => retry('lock release', () => release.run(name, token).changes === 1),
    extend: (name, token, ttlMs) =>
      retry('lock extend', () => {
        const now = Date.now()
        return extend.run(now + ttlMs, name, token, now).changes === 1
      }),
  }
}
