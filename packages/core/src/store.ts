import type { CredentialValue } from './credentials.js'

/**
 * What a tier holds for a key. `expiresAt` is absolute (ms since the epoch) or `null` for "never",
 * so a copy into another tier keeps the remaining life rather than a fresh full TTL.
 */
export interface StoredRecord<V extends object = CredentialValue> {
  value: V
  expiresAt: number | null
}

/**
 * A storage tier. Adapters implement this; `@open-bridge/core/testing` checks that they do it right.
 *
 * - `get` never returns an expired record and resolves `undefined` for a miss.
 * - `set` replaces the record; the tier drops it by itself once `expiresAt` has passed.
 * - A tier may throw (a network store that is down): the bridge skips it and reports a `tier-error`.
 */
export interface CredentialStore {
  /** Shown in events and errors, e.g. `memory`, `redis`, `sqlite`. */
  readonly name: string
  get(key: string): Promise<StoredRecord | undefined>
  set(key: string, record: StoredRecord): Promise<void>
  delete(key: string): Promise<void>
  /**
   * Optional synchronous read for stores that live in the process (the memory tier). The bridge uses it
   * on the hot path so a hit costs no extra promise. `now` (ms since the epoch) is the caller's clock reading:
   * use it rather than reading the clock again (on some hosts a clock read costs more than the whole lookup).
   */
  getSync?(key: string, now?: number): StoredRecord | undefined
  /** Present on stores that several processes share and that can hold a lease (Redis, SQLite, MongoDB). */
  readonly lock?: StoreLock
  /**
   * Optional, beside `lock`: the fence of a write made under the refresh lock. In ONE atomic step of the backend,
   * writes `record` (as `set` would) only if the key still holds `expected` — the record this store returned
   * when the caller looked, unchanged — or, when `expected` is `undefined` or has expired by now, only if the
   * key holds nothing live. Resolves whether it wrote. A holder paused past its lease thus cannot overwrite what
   * the next holder wrote meanwhile. Without it the bridge checks its lease (`lock.extend`) just before a plain
   * `set`, which leaves a window of one round trip.
   */
  compareAndSet?(key: string, expected: StoredRecord | undefined, record: StoredRecord): Promise<boolean>
  /**
   * Does a record written here survive the process (and the backend's restart)? A durable kind's `set` resolves
   * only once a tier that says `true` holds it. Absent = `false`. `memoryStore` says `false`; SQLite, MongoDB and
   * Redis `true` (Redis only keeps data across a restart when its persistence, RDB or AOF, is configured).
   */
  readonly persistent?: boolean
  /**
   * Optional, for a store whose persistence is the backend's own configuration (Redis: RDB snapshots, AOF): asks
   * the backend whether what it holds survives its restart. For `open-bridge doctor`; the bridge never calls it.
   * Resolves `persists: undefined` when the backend will not say (a managed Redis that renames `CONFIG`).
   */
  persistence?(): Promise<StorePersistence>
  /**
   * Optional, for tools that walk a store (`open-bridge export`, `copy`, `rekey`); the bridge never calls it: the
   * storage keys this store holds a live record for, in any order. A key written or deleted while the walk runs may
   * or may not be listed; a key that has expired by the time it is read is simply missed by `get`.
   */
  keys?(): AsyncIterable<string>
  /**
   * Optional, on a shared store that can push (Redis pub/sub): calls `onChange` soon after any process sharing the
   * backend writes `key` through a store of this kind (`set`, a `compareAndSet` that wrote, `delete`) — this
   * process included. The bridge uses it to wake callers waiting for another process's refresh at once instead of
   * at their next poll. Best effort: a notice may be lost (a dropped connection, a restart) or come late, so the
   * bridge keeps polling as the floor; it may also come for a write already replaced. Starts what it needs on first
   * use (a subscriber connection) and never throws: a store that cannot watch right now simply does not call.
   * Returns the function that stops this watch (idempotent). `close()` ends every watch.
   */
  watch?(key: string, onChange: () => void): () => void
  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>
}

/**
 * A lease on a name, held by whoever knows `token`. Every operation is atomic in the store.
 */
export interface StoreLock {
  /** Takes the lock if it is free or expired. Resolves `true` when `token` now holds it for `ttlMs`. */
  acquire(name: string, token: string, ttlMs: number): Promise<boolean>
  /** Frees the lock only if `token` holds it. Resolves whether it did. */
  release(name: string, token: string): Promise<boolean>
  /** Pushes the expiry of a lock `token` holds to `ttlMs` from now. Resolves whether it did. */
  extend(name: string, token: string, ttlMs: number): Promise<boolean>
}

/** What a backend says of its persistence (`CredentialStore.persistence`). */
export interface StorePersistence {
  /** `true`: a restart keeps what it holds; `false`: a restart loses it; `undefined`: the backend would not say. */
  persists: boolean | undefined
  /** What was found, for a person (`appendonly no, save ""`); never a password or a value. */
  detail: string
}
