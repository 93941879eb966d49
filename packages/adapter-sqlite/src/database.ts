import Database from 'better-sqlite3'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'

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

/**
 * Opens (creating if needed) the database file for sharing between processes: WAL, so readers never wait
 * for a writer; a busy timeout, so a writer waits for another process's write instead of failing.
 */
export function openDatabase(path: string, busyTimeout: number): Database.Database {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  // Create the file ourselves, owner-only: SQLite gives the -wal and -shm files the main file's mode.
  closeSync(openSync(path, 'a', 0o600))
  const db = new Database(path, { timeout: busyTimeout })
  try {
    db.pragma('journal_mode = WAL')
    // In WAL mode NORMAL survives a process crash; only an OS crash may lose the last writes (a cache can refetch).
    db.pragma('synchronous = NORMAL')
    db.exec(SCHEMA)
  } catch (error) {
    db.close()
    throw error
  }
  return db
}
