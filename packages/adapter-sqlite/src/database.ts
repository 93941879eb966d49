import Database from 'better-sqlite3'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { pathFailure, SqliteStoreError } from './errors.js'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS credentials (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,   -- the JSON of the value object
  expires_at INTEGER          -- absolute ms since the epoch; NULL = never
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS credentials_expires_at ON credentials (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS locks (
  name       TEXT PRIMARY KEY,
  token      TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`
/** The columns each table must have; a file from another (older) layout is refused rather than half used. */
const COLUMNS: Record<string, readonly string[]> = {
  credentials: ['key', 'value', 'expires_at'],
  locks: ['name', 'token', 'expires_at'],
}

/**
 * Opens (creating if needed) the database file for sharing between processes: WAL, so readers never wait
 * for a writer; a SHORT blocking busy wait (`blockingWaitMs`) once set up: better-sqlite3 is synchronous, so
 * SQLite's own busy handler freezes the event loop for as long as it waits. The store retries past it
 * asynchronously.
 * Every failure to open is a `SqliteStoreError` naming the path's problem.
 */
export function openDatabase(path: string, blockingWaitMs: number, setupWaitMs: number): Database.Database {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    // Create the file ourselves, owner-only: SQLite gives the -wal and -shm files the main file's mode.
    closeSync(openSync(path, 'a', 0o600))
  } catch (error) {
    throw (
      pathFailure(path, error) ??
      new SqliteStoreError('E_SQLITE_PATH', `sqliteStore path ${path} cannot be created`, { field: 'path' })
    )
  }
  let db: Database.Database
  try {
    // Setting up (WAL switch, schema) happens once, synchronously, inside sqliteStore(): two processes opening a
    // new file together contend for it, and there is no caller to retry asynchronously yet. So the setup waits
    // up to the whole busyTimeout; every statement after it keeps to the short blocking wait.
    db = new Database(path, { timeout: setupWaitMs })
  } catch (error) {
    throw (
      pathFailure(path, error) ??
      new SqliteStoreError('E_SQLITE_PATH', `sqliteStore path ${path} cannot be opened`, { field: 'path' })
    )
  }
  try {
    db.pragma('journal_mode = WAL')
    // In WAL mode NORMAL survives a process crash; only an OS crash may lose the last writes (a cache can refetch).
    db.pragma('synchronous = NORMAL')
    // Checked before and after: an old table makes the index creation fail with a bare "no such column".
    checkSchema(db, path)
    db.exec(SCHEMA)
    checkSchema(db, path)
    db.pragma(`busy_timeout = ${Math.floor(blockingWaitMs)}`)
  } catch (error) {
    db.close()
    if (error instanceof SqliteStoreError) throw error
    throw (
      pathFailure(path, error) ??
      new SqliteStoreError('E_SQLITE_PATH', `sqliteStore path ${path} cannot be set up as a store`, { field: 'path' })
    )
  }
  return db
}

function checkSchema(db: Database.Database, path: string): void {
  for (const [table, wanted] of Object.entries(COLUMNS)) {
    const have = new Set((db.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name))
    if (have.size === 0) continue // not created yet
    const missing = wanted.filter((column) => !have.has(column))
    if (missing.length > 0) {
      throw new SqliteStoreError(
        'E_SQLITE_SCHEMA',
        `sqliteStore path ${path} holds a ${table} table of another layout (missing ${missing.join(', ')}); use a new file or migrate it`,
        { field: 'path' },
      )
    }
  }
}
