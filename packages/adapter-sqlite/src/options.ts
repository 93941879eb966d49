import { invalidConfig } from './errors.js'

export interface SqliteStoreOptions {
  /** The database file. Created (with its directory) if missing, readable by the owner only. */
  path: string
  /** How often expired rows are deleted, in ms (at most 2^31 - 1). Default 60,000. Expired rows are never returned meanwhile. */
  pruneInterval?: number
  /**
   * How long a write waits in all for another process's write to finish, in ms (at most 2^31 - 1). Default 5,000.
   * The event loop is blocked for at most 20 ms of it at a time: the rest is waited asynchronously.
   */
  busyTimeout?: number
  /** Name shown in events. Default `sqlite`. */
  name?: string
}

export type ResolvedSqliteStoreOptions = Required<SqliteStoreOptions>

/** Node timers take at most 2^31 - 1 ms; a larger interval fires at once, every millisecond. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export function resolveOptions(options: SqliteStoreOptions): ResolvedSqliteStoreOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidConfig('options', 'sqliteStore needs an options object: { path }')
  const {
    path,
    pruneInterval = 60_000,
    busyTimeout = 5_000,
    name = 'sqlite',
  } = options as Partial<Record<keyof SqliteStoreOptions, unknown>>
  if (typeof path !== 'string' || path.length === 0)
    throw invalidConfig('path', 'sqliteStore path must be a non-empty file path')
  // Each of these would be private to one connection: processes could not share it.
  if (path === ':memory:' || path.startsWith('file:'))
    throw invalidConfig('path', 'sqliteStore path must be a plain file path (use memoryStore for an in-process tier)')
  if (
    typeof pruneInterval !== 'number' ||
    !Number.isFinite(pruneInterval) ||
    pruneInterval <= 0 ||
    pruneInterval > MAX_TIMER_MS
  ) {
    throw invalidConfig(
      'pruneInterval',
      `sqliteStore pruneInterval must be a positive number of milliseconds up to ${MAX_TIMER_MS}`,
    )
  }
  if (
    typeof busyTimeout !== 'number' ||
    !Number.isInteger(busyTimeout) ||
    busyTimeout < 0 ||
    busyTimeout > MAX_TIMER_MS
  ) {
    throw invalidConfig(
      'busyTimeout',
      `sqliteStore busyTimeout must be an integer of milliseconds from 0 to ${MAX_TIMER_MS}`,
    )
  }
  if (typeof name !== 'string' || name.length === 0)
    throw invalidConfig('name', 'sqliteStore name must be a non-empty string')
  return { path, pruneInterval, busyTimeout, name }
}
