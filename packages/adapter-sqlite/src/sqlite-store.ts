import {
  isLive,
  parseJsonObject,
  secretStringsOf,
  type CredentialStore,
  type CredentialValue,
  type StoredRecord,
} from '@open-bridge/core'
import { BLOCKING_WAIT_MS, runWithBusyRetry } from './busy-retry.js'
import { openDatabase } from './database.js'
import { sqliteFailure, SqliteStoreError } from './errors.js'
import { resolveOptions, type SqliteStoreOptions } from './options.js'
import { sqliteLock } from './sqlite-lock.js'

interface Row {
  value: string
  expires_at: number | null
}

/**
 * The embedded durable tier: one SQLite file (WAL) that several processes on a host can share, with a lock
 * table for their refresh lease. better-sqlite3 is synchronous, so the store also offers `getSync`.
 */
export function sqliteStore(options: SqliteStoreOptions): CredentialStore {
  const { path, pruneInterval, busyTimeout, name } = resolveOptions(options)
  const db = openDatabase(path, Math.min(busyTimeout, BLOCKING_WAIT_MS), busyTimeout)
  const retry = <T>(operation: string, run: () => T, literals?: () => readonly string[]): Promise<T> =>
    runWithBusyRetry(run, busyTimeout, operation, path, literals)

  // Prepared once; the expiry test in SQL means an expired row is never returned, pruned or not.
  const select = db.prepare<[string, number], Row>(
    'SELECT value, expires_at FROM credentials WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
  )
  const upsert = db.prepare<[string, string, number | null]>(
    `INSERT INTO credentials (key, value, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
  )
  const remove = db.prepare<[string]>('DELETE FROM credentials WHERE key = ?')
  const listKeys = db.prepare<[number], { key: string }>(
    'SELECT key FROM credentials WHERE expires_at IS NULL OR expires_at > ?',
  )
  const selectRaw = db.prepare<[string], Row>('SELECT value, expires_at FROM credentials WHERE key = ?')
  // BEGIN IMMEDIATE: the write lock is taken before the read, so no other connection can write in between. A busy
  // file fails it after the short blocking wait and `retry` tries again asynchronously: the loop is never held long.
  const compareAndSet = db.transaction(
    (
      key: string,
      seen: string | undefined,
      seenExpiresAt: number | null,
      absentMatches: boolean,
      json: string,
      expiresAt: number | null,
    ) => {
      const row = selectRaw.get(key)
      const live = row !== undefined && (row.expires_at === null || row.expires_at > Date.now())
      const same = row !== undefined && seen !== undefined && row.value === seen && row.expires_at === seenExpiresAt
      if (!same && (live || !absentMatches)) return false
      upsert.run(key, json, expiresAt)
      return true
    },
  )
  const pruneCredentials = db.prepare<[number]>('DELETE FROM credentials WHERE expires_at <= ?')
  const pruneLocks = db.prepare<[number]>('DELETE FROM locks WHERE expires_at <= ?')
  const prune = db.transaction((now: number) => {
    pruneCredentials.run(now)
    pruneLocks.run(now)
  })

  const timer = setInterval(() => {
    try {
      prune.immediate(Date.now())
    } catch {
      // Another process held the write lock past the short blocking wait; the next tick prunes instead.
    }
  }, pruneInterval)
  timer.unref()

  const read = (key: string, now: number = Date.now()): StoredRecord | undefined => {
    const row = select.get(key, now)
    return row === undefined ? undefined : { value: parseValue(row.value, key), expiresAt: row.expires_at }
  }
  // Synchronous, so it cannot wait asynchronously: in WAL mode a read never waits for a writer anyway; a rare
  // busy (a checkpoint) fails it after the short blocking wait, and the bridge moves on to the next tier.
  const getSync = (key: string, now?: number): StoredRecord | undefined => {
    try {
      return read(key, now)
    } catch (error) {
      throw sqliteFailure('get', path, error)
    }
  }
  let closed = false

  return {
    name,
    // A file on disk (`:memory:` is refused): a durable kind's write counts once this tier holds it.
    persistent: true,
    getSync,
    get: (key) => retry('get', () => read(key)),
    set: async (key, record) => {
      if (!isLive(record)) return retry('set', () => void remove.run(key))
      const json = JSON.stringify(record.value)
      return retry(
        'set',
        () => void upsert.run(key, json, record.expiresAt),
        () => secretStringsOf(record.value),
      )
    },
    delete: (key) => retry('delete', () => void remove.run(key)),
    compareAndSet: async (key, expected, record) => {
      // A dead record is never what a holder writes; written, it could only delete: refuse it as a no-op.
      if (!isLive(record)) return false
      const seen = expected === undefined ? undefined : JSON.stringify(expected.value)
      const absentMatches = expected === undefined || !isLive(expected)
      const json = JSON.stringify(record.value)
      return retry(
        'compare-and-set',
        () => compareAndSet.immediate(key, seen, expected?.expiresAt ?? null, absentMatches, json, record.expiresAt),
        () => [...secretStringsOf(record.value), ...(expected ? secretStringsOf(expected.value) : [])],
      )
    },
    lock: sqliteLock(db, retry),
    keys: async function* () {
      const rows = await retry('keys', () => listKeys.all(Date.now()))
      for (const row of rows) yield row.key
    },
    close: async () => {
      if (closed) return
      closed = true
      clearInterval(timer)
      db.close()
    },
  }
}

function parseValue(json: string, key: string): CredentialValue {
  const value = parseJsonObject(json)
  if (value === undefined) {
    throw new SqliteStoreError(
      'E_SQLITE_CORRUPT_RECORD',
      `sqlite row ${key} does not hold the JSON of a value object`,
      { field: key },
    )
  }
  return value as CredentialValue
}
