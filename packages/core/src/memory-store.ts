import { LRUCache } from 'lru-cache'
import { deepFreeze } from './deep-freeze.js'
import { BridgeError, describeType } from './errors.js'
import type { CredentialStore, StoredRecord } from './store.js'

export interface MemoryStoreOptions {
  /** How many keys to keep; the least recently used go first. Default 10,000. */
  max?: number
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
  /** When this copy stops being served: the record's expiry, or sooner under `maxTtl`. */
  until: number
}

/**
 * The per-process tier: a bounded LRU of frozen records. Reads are synchronous (`getSync`), so a hit
 * through the bridge costs one map lookup and one clock check. Values are copied and frozen on write,
 * so neither the writer nor a reader can change what other callers receive.
 */
export function memoryStore(options: MemoryStoreOptions = {}): CredentialStore {
  const max = positiveInteger(options.max ?? 10_000, 'max')
  const maxTtl = options.maxTtl === undefined ? undefined : positiveNumber(options.maxTtl, 'maxTtl')
  const name = options.name ?? 'memory'
  const cache = new LRUCache<string, Entry>({ max })

  const getSync = (key: string, now?: number): StoredRecord | undefined => {
    const entry = cache.get(key)
    if (entry === undefined) return undefined
    if (entry.until <= (now ?? Date.now())) {
      cache.delete(key)
      return undefined
    }
    return entry.record
  }

  return {
    name,
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
      cache.set(key, { record: Object.freeze({ value: deepFreeze(structuredClone(record.value)), expiresAt: record.expiresAt }), until })
    },
    delete: async (key) => {
      cache.delete(key)
    },
    close: async () => {
      cache.clear()
    },
  }
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BridgeError('E_INVALID_CONFIG', `memoryStore ${field} must be a positive integer, got ${describeType(value)}`, { field })
  }
  return value
}

function positiveNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BridgeError('E_INVALID_CONFIG', `memoryStore ${field} must be a positive number of milliseconds, got ${describeType(value)}`, {
      field,
    })
  }
  return value
}
