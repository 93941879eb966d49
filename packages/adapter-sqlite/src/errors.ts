import { BridgeError, sanitizeCause } from '@open-bridge/core'

/** The codes `@open-bridge/adapter-sqlite` throws. */
export type SqliteStoreErrorCode =
  /** `sqliteStore` options are malformed; `field` names the option. */
  | 'E_INVALID_CONFIG'
  /** A row does not hold the JSON of a value object; `field` names the storage key. */
  | 'E_SQLITE_CORRUPT_RECORD'
  /**
   * The database file cannot be used: its directory cannot be created or written, the path is a directory,
   * the file is not a SQLite database, or it is read-only. `field` is `path`; the message says which.
   */
  | 'E_SQLITE_PATH'
  /** The file holds `credentials` / `locks` tables of another layout (an old or foreign schema). */
  | 'E_SQLITE_SCHEMA'
  /** Another connection held the write lock for longer than `busyTimeout`. */
  | 'E_SQLITE_BUSY'
  /** SQLite failed otherwise (disk full, I/O error, …); the sanitised cause carries SQLite's code. */
  | 'E_SQLITE_FAILED'

/**
 * Every error this package throws, on purpose or passed on from better-sqlite3. Messages never hold a
 * credential value; a driver error travels only as a sanitised `cause` (name, code, message).
 */
export class SqliteStoreError extends BridgeError<SqliteStoreErrorCode> {
  override name = 'SqliteStoreError'
}

/** The error for a malformed `sqliteStore` option: `E_INVALID_CONFIG`, `field` naming it (`url.port`, …). */
export function invalidConfig(field: string, message: string): SqliteStoreError {
  return new SqliteStoreError('E_INVALID_CONFIG', message, { field })
}

/** better-sqlite3's code for an error, e.g. `SQLITE_BUSY`, `SQLITE_NOTADB`; Node's for a file system error. */
export function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

export function isBusy(error: unknown): boolean {
  const code = codeOf(error)
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (code?.startsWith('SQLITE_BUSY_') ?? false)
}

/** What each file-level failure means for the path, in words an operator can act on. */
const PATH_PROBLEMS: Record<string, string> = {
  EISDIR: 'is a directory',
  ENOTDIR: 'has a file where a directory is expected',
  // mkdir's answer when a parent component is a file.
  EEXIST: 'has a file where a directory is expected',
  EACCES: 'is not writable (permission denied)',
  EPERM: 'is not writable (operation not permitted)',
  EROFS: 'is on a read-only file system',
  ENOENT: 'has a directory that cannot be created',
  ENAMETOOLONG: 'is too long',
  ELOOP: 'has a symbolic link loop',
  SQLITE_NOTADB: 'is not a SQLite database',
  SQLITE_CORRUPT: 'holds a corrupt SQLite database',
  SQLITE_CANTOPEN: 'cannot be opened by SQLite',
  SQLITE_READONLY: 'is read-only',
  SQLITE_READONLY_DIRECTORY: 'is in a directory SQLite cannot write (read-only)',
  SQLITE_PERM: 'is not writable (permission denied)',
  SQLITE_IOERR_WRITE: 'cannot be written (I/O error)',
  SQLITE_FULL: 'is on a full disk',
}

/** A failure to open or create the database at `path`, or undefined when `error` says nothing about the path. */
export function pathFailure(path: string, error: unknown): SqliteStoreError | undefined {
  const code = codeOf(error)
  const problem =
    code === undefined
      ? undefined
      : (PATH_PROBLEMS[code] ?? (code.startsWith('SQLITE_READONLY') ? 'is read-only' : undefined))
  if (problem === undefined) return undefined
  return new SqliteStoreError('E_SQLITE_PATH', `sqliteStore path ${path} ${problem} (${code})`, {
    field: 'path',
    cause: sanitizeCause(error),
  })
}

/** Any other driver failure of `operation`, or the path's problem if the error names one (a read-only file). */
export function sqliteFailure(
  operation: string,
  path: string,
  error: unknown,
  literals: readonly string[] = [],
): SqliteStoreError {
  if (error instanceof SqliteStoreError) return error
  const code = codeOf(error)
  if (
    code === 'SQLITE_READONLY' ||
    code?.startsWith('SQLITE_READONLY_') ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_NOTADB'
  ) {
    return pathFailure(path, error)!
  }
  return new SqliteStoreError('E_SQLITE_FAILED', `sqlite ${operation} failed (${code ?? 'unknown error'})`, {
    cause: sanitizeCause(error, literals),
  })
}
