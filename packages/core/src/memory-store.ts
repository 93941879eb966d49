import { LRUCache } from 'lru-cache'
import { deepFreeze } from './deep-freeze.js'
import { BridgeError, describeType } from './errors.js'
import { markInProcess } from './in-process-store.js'
import type { CredentialStore, StoredRecord } from './store.js'

/** The largest `max` accepted: far beyond any deployment's credentials, small enough to stay an option, not a leak. */
export const MEMORY_STORE_MAX_LIMIT = 10_000_000

export interface MemoryStoreOptions {
  /**
   * How many keys to keep; the least recently used go first. Default 10,000, at most 10,000,000. Space grows
   * with the keys actually held, not with `max`.
   */
  max?: number
  /**
   * Bound on the bytes held (each record counted as the UTF-8 length of its value's JSON plus its key); the
   * least recently used go first. A single record larger than this is not kept here (the tiers below still
   * keep it). Default: no byte bound, `max` alone.
   */
  maxBytes?: number
  /**
   * Longest a copy is kept here, in milliseconds, whatever the record's own expiry. With a shared tier
   * below, this bounds how long a process keeps serving a token another process has already replaced.
   * Default: no cap (the record's expiry alone).
   */
  maxTtl?: number
  /** Name shown in events. Default `memory`. */
  name?: string
}

interface Entry {
  record: StoredRecord
  /** The value's JSON size in bytes, counted only under `maxBytes`. */
  bytes: number
  /** When this copy stops being served: the record's expiry, or sooner under `maxTtl`. */
  until: number
}

/**
 * The per-process tier: a bounded LRU of frozen records. Reads are synchronous (`getSync`), so a hit
 * through the bridge costs one map lookup and one clock check. Values are copied and frozen on write,
 * so neither the writer nor a reader can change what other callers receive.
 */
export function memoryStore(options: MemoryStoreOptions = {}): CredentialStore {
  if (typeof options !== 'object' || options === null) {
    throw new BridgeError('E_INVALID_CONFIG', `memoryStore options must be an object, got ${describeType(options)}`, {
      field: 'options',
    })
  }
  const max = positiveInteger(options.max ?? 10_000, 'max', MEMORY_STORE_MAX_LIMIT)
  const maxBytes =
    options.maxBytes === undefined ? undefined : positiveInteger(options.maxBytes, 'maxBytes', Number.MAX_SAFE_INTEGER)
  const maxTtl = options.maxTtl === undefined ? undefined : positiveNumber(options.maxTtl, 'maxTtl')
  const name = options.name ?? 'memory'
  if (typeof name !== 'string' || name.length === 0) {
    throw new BridgeError('E_INVALID_CONFIG', 'memoryStore name must be a non-empty string', { field: 'name' })
  }
  // lru-cache allocates its index arrays for `max` entries up front; given only `maxSize` it grows them as
  // entries arrive. So the entry bound is enforced here (`pop` after each set) and the cache itself is sized
  // in bytes (`maxBytes`) or, without one, by a bound no entry count can reach.
  const cache = new LRUCache<string, Entry>({
    maxSize: maxBytes ?? Number.MAX_SAFE_INTEGER,
    sizeCalculation: maxBytes === undefined ? () => 1 : (entry, key) => entry.bytes + Buffer.byteLength(key),
  })

  const getSync = (key: string, now?: number): StoredRecord | undefined => {
    const entry = cache.get(key)
    if (entry === undefined) return undefined
    if (entry.until <= (now ?? Date.now())) {
      cache.delete(key)
      return undefined
    }
    return entry.record
  }

  return markInProcess({
    name,
    persistent: false,
    getSync,
    get: async (key) => getSync(key),
    set: async (key, record) => {
      const now = Date.now()
      let until = record.expiresAt ?? Number.POSITIVE_INFINITY
      if (maxTtl !== undefined) until = Math.min(until, now + maxTtl)
      if (until <= now) {
        cache.delete(key)
        return
      }
      const bytes = maxBytes === undefined ? 0 : Buffer.byteLength(JSON.stringify(record.value))
      const entry = {
        record: Object.freeze({ value: deepFreeze(structuredClone(record.value)), expiresAt: record.expiresAt }),
        until,
        bytes,
      }
      // lru-cache keeps the old entry when the new one is over maxSize on its own: drop it, a stale copy must not stay.
      if (maxBytes !== undefined && bytes + Buffer.byteLength(key) > maxBytes) {
        cache.delete(key)
        return
      }
      cache.set(key, entry)
      while (cache.size > max) cache.pop()
    },
    delete: async (key) => {
      cache.delete(key)
    },
    close: async () => {
      cache.clear()
    },
  })
}

function positiveInteger(value: unknown, field: string, limit: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > limit) {
    const got = typeof value === 'number' ? String(value) : describeType(value)
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `memoryStore ${field} must be an integer from 1 to ${limit}, got ${got}`,
      { field },
    )
  }
  return value
}

function positiveNumber(value: unknown, field: string): number {
  // maxTtl is compared with clock times only (no timer), so any finite positive number is safe.
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `memoryStore ${field} must be a positive number of milliseconds, got ${describeType(value)}`,
      {
        field,
      },
    )
  }
  return value
}
