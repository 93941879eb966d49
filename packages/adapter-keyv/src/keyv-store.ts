import {
  asStoredRecord,
  isLive,
  secretStringsOf,
  ttlMsOf,
  type CredentialStore,
  type StoredRecord,
} from '@open-bridge/core'
import type { Keyv } from 'keyv'
import { invalidConfig, keyvFailure, KeyvStoreError } from './errors.js'
import { readRecord } from './record.js'

export interface KeyvStoreOptions {
  /** A Keyv 5 instance (`new Keyv(store)`), not a bare store adapter. Yours: the store never disconnects it. */
  keyv: Keyv<unknown>
  /** Name shown in events. Default `keyv`. */
  name?: string
}

/**
 * Any Keyv v5 store as a tier. The entry is the whole record `{ value, expiresAt }`, so the absolute expiry
 * travels with it; Keyv also gets the remaining life as its ttl, so the backing store drops the entry by
 * itself. No lock: Keyv has no atomic compare-and-set across its stores. The caller owns the Keyv instance
 * (and disconnects it); `close()` leaves it alone.
 */
export function keyvStore(options: KeyvStoreOptions): CredentialStore {
  const { keyv, name } = resolveOptions(options)
  // Without a serializer Keyv hands the very object it was given to its store and back (a Map store keeps
  // references), so the store copies on the way in and out; with one, the JSON round trip already copies.
  const copy = <T>(value: T): T => (keyv.serialize ? value : structuredClone(value))
  const remove = async (key: string): Promise<void> => {
    try {
      // Keyv resolves false both for a missing key and for a failure it swallowed, so the result says nothing.
      await keyv.delete(key)
    } catch (error) {
      throw keyvFailure('delete', error)
    }
  }

  return {
    name,
    // Keyv's default store is an in-process Map: only a real backend persists.
    persistent: !(keyv.store instanceof Map),

    async get(key) {
      let stored: unknown
      try {
        stored = await keyv.get(key)
      } catch (error) {
        throw keyvFailure('get', error)
      }
      if (stored === undefined) return undefined
      const record = readRecord(stored)
      return isLive(record) ? copy(record) : undefined
    },

    async set(key, record: StoredRecord) {
      // Rounded up so Keyv never drops the entry before its own expiry has passed.
      const ttl = ttlMsOf(record)
      if (ttl !== null && ttl <= 0) {
        await remove(key)
        return
      }
      const entry: StoredRecord = { value: copy(record.value), expiresAt: record.expiresAt }
      let taken: boolean
      try {
        // A ttl of 0 tells Keyv "no expiry" and overrides a default ttl set on the instance.
        taken = await keyv.set(key, entry, ttl ?? 0)
      } catch (error) {
        throw keyvFailure('set', error, secretStringsOf(record.value))
      }
      if (!taken)
        throw new KeyvStoreError(
          'E_KEYV_WRITE_FAILED',
          'the Keyv store did not take the write (keyv.set resolved false)',
        )
    },

    delete: remove,

    // Only where Keyv can iterate its store (a Map, and the adapters Keyv lists as iterable): the walk of
    // `open-bridge export` / `copy` / `rekey`. Entries that are not live records of this store are passed over.
    ...(typeof keyv.iterator === 'function'
      ? {
          async *keys(): AsyncIterable<string> {
            const entries = (keyv.iterator as NonNullable<typeof keyv.iterator>)(keyv.namespace)
            try {
              for await (const [key, stored] of entries) {
                const record = asStoredRecord(stored)
                if (typeof key === 'string' && record !== undefined && isLive(record)) yield key
              }
            } catch (error) {
              throw keyvFailure('iterate', error)
            }
          },
        }
      : {}),

    async close() {},
  }
}

/** Checks the options before anything is used; names the field at fault, and the new form to an old call. */
function resolveOptions(options: KeyvStoreOptions): { keyv: Keyv<unknown>; name: string } {
  // The 0.x form keyvStore(keyv, options) is gone; say what to write instead of "keyv is missing".
  if (isKeyv(options)) {
    throw invalidConfig('keyv', 'keyvStore takes an options object: write keyvStore({ keyv }), not keyvStore(keyv)')
  }
  if (typeof options !== 'object' || options === null) {
    throw invalidConfig('options', 'keyvStore needs an options object: { keyv }')
  }
  const given = options as Partial<Record<keyof KeyvStoreOptions, unknown>>
  const { keyv } = given
  const name = given.name ?? 'keyv'
  if (!isKeyv(keyv)) {
    throw invalidConfig('keyv', 'keyvStore needs a Keyv 5 instance (new Keyv(store)), not a store adapter or a Map')
  }
  if (typeof name !== 'string' || name.length === 0)
    throw invalidConfig('name', 'keyvStore name must be a non-empty string')
  return { keyv, name }
}

/**
 * Duck-typed, so a Keyv from another copy of the package passes. A store adapter (a Map, a KeyvRedis) also
 * has get/set/delete; only Keyv itself has `store` and `serialize`, which this store relies on.
 */
function isKeyv(keyv: unknown): keyv is Keyv<unknown> {
  if (typeof keyv !== 'object' || keyv === null || !('store' in keyv) || !('serialize' in keyv)) return false
  const { get, set, delete: remove } = keyv as Partial<Record<'get' | 'set' | 'delete', unknown>>
  return typeof get === 'function' && typeof set === 'function' && typeof remove === 'function'
}
