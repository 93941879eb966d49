import type { KeyObject } from 'node:crypto'
import type { CredentialValue } from './credentials.js'
import { deepFreeze } from './deep-freeze.js'
import { BridgeError, isBridgeError, SealOpenError, type SealOpenReason } from './errors.js'
import { isLive } from './expiry.js'
import type { Keyring } from './keyring.js'
import { isEnvelopeLike, openBody, parseEnvelope, sealValue } from './sealed-envelope.js'
import { isNotFetchable } from './storage-key-kind.js'
import type { CredentialStore, StoredRecord } from './store.js'

export interface SealedStoreOptions {
  keyring: Keyring
  /** Read plain records (written before encryption was switched on) as they are. Default `false`. */
  acceptPlain?: boolean
  /**
   * Which records may be treated as a miss when they do not open (the kind can be fetched again). Default: every
   * kind but those in `NOT_FETCHABLE_KINDS` (session_key, user_refresh_token) and keys of an unknown layout.
   */
  notFetchable?: (storageKey: string) => boolean
  /** Told of every record that did not open, before it is treated as a miss or thrown. */
  onOpenFailed?: (error: SealOpenError) => void
  /**
   * How many opened envelopes to remember (one per storage key, the most recent first out): reading the same
   * envelope again then costs a string comparison instead of an AES-GCM open (OpenSSL 3 spends ~10 µs setting up
   * each cipher, the cost of a whole SQLite hit). `0` turns it off. Default 1,024.
   */
  openCacheSize?: number
}

/** The default of `SealedStoreOptions.openCacheSize`. */
export const DEFAULT_OPEN_CACHE_SIZE = 1024

/** An envelope opened before: the same `kid`, `n` and `c` under the same storage key open to the same value. */
interface Opened {
  readonly kid: string
  readonly n: string
  readonly c: string
  readonly generation: number
  readonly value: CredentialValue
}

/**
 * `store` with every value sealed on the way in and opened on the way out (AES-256-GCM, the storage key as
 * associated data; see `SealedEnvelope`). `expiresAt` passes through untouched, so the store's TTL still works.
 * `lock`, `persistent` and `watch` are the store's own; `compareAndSet` compares opened values and hands the stored envelope to the store's
 * `compareAndSet`, so the write stays one atomic step of the backend.
 *
 * A record that does not open (`SealOpenError`, `E_SEAL_OPEN_FAILED`) is reported to `onOpenFailed`, then read as
 * a miss when its kind can be fetched again, else thrown.
 */
export function sealedStore(store: CredentialStore, options: SealedStoreOptions): CredentialStore {
  const { keyring } = options
  const acceptPlain = options.acceptPlain === true
  const notFetchable = options.notFetchable ?? isNotFetchable
  const onOpenFailed = options.onOpenFailed
  const cacheSize = options.openCacheSize ?? DEFAULT_OPEN_CACHE_SIZE
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    throw new BridgeError('E_INVALID_CONFIG', 'sealedStore openCacheSize must be an integer ≥ 0', {
      field: 'openCacheSize',
    })
  }
  const cache = new Map<string, Opened>()

  const failed = (key: string, keyId: string | undefined, reason: SealOpenReason): undefined => {
    const error = new SealOpenError({ keyId, reason, storageKey: key, tier: store.name, durable: notFetchable(key) })
    onOpenFailed?.(error)
    if (error.durable) throw error
    return undefined
  }

  /**
   * The opened record, `undefined` with the failure (or a thrown `SealOpenError`) when it does not open, or the
   * key id to reload for when the keyring may learn it (async path only).
   */
  const openWith = (
    key: string,
    record: StoredRecord,
    byId: ReadonlyMap<string, KeyObject>,
  ): StoredRecord | { unknownKeyId: string } | { reason: SealOpenReason; keyId: string | undefined } => {
    const value = record.value as Record<string, unknown>
    if (!isEnvelopeLike(value)) return acceptPlain ? record : { reason: 'plain', keyId: undefined }
    const hit = cache.get(key)
    if (
      hit !== undefined &&
      hit.c === value.c &&
      hit.n === value.n &&
      hit.kid === value.kid &&
      hit.generation === keyring.generation
    ) {
      return { value: hit.value, expiresAt: record.expiresAt }
    }
    const parsed = parseEnvelope(value)
    if (parsed === undefined) {
      return { reason: 'malformed', keyId: typeof value.kid === 'string' ? value.kid : undefined }
    }
    const secret = byId.get(parsed.kid)
    if (secret === undefined) return { unknownKeyId: parsed.kid }
    const opened = openBody(key, parsed.nonce, parsed.body, secret)
    if (opened === undefined) return { reason: 'authentication', keyId: parsed.kid }
    if (cacheSize > 0) {
      // Shared by every later read of this envelope: frozen, as the memory tier's values are.
      deepFreeze(opened)
      cache.delete(key)
      cache.set(key, {
        kid: parsed.kid,
        n: value.n as string,
        c: value.c as string,
        generation: keyring.generation,
        value: opened,
      })
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!)
    }
    return { value: opened, expiresAt: record.expiresAt }
  }

  const openSync = (key: string, record: StoredRecord | undefined): StoredRecord | undefined => {
    if (record === undefined) return undefined
    const result = openWith(key, record, keyring.keysNow()!.byId)
    if ('expiresAt' in result) return result
    if ('unknownKeyId' in result) return failed(key, result.unknownKeyId, 'unknown-key')
    return failed(key, result.keyId, result.reason)
  }

  const open = async (key: string, record: StoredRecord | undefined): Promise<StoredRecord | undefined> => {
    if (record === undefined) return undefined
    let result = openWith(key, record, (await keyring.keys()).byId)
    if ('unknownKeyId' in result) {
      const kid = result.unknownKeyId
      // A key provider may have a key this process has not seen yet (a rotation started elsewhere).
      if (await keyring.reloadFor(kid)) result = openWith(key, record, (await keyring.keys()).byId)
      if ('unknownKeyId' in result) return failed(key, kid, 'unknown-key')
    }
    if ('expiresAt' in result) return result
    return failed(key, result.keyId, result.reason)
  }

  const seal = async (key: string, record: StoredRecord): Promise<StoredRecord> => {
    const { sealId, sealKey } = await keyring.keys()
    return {
      value: sealValue(key, record.value, sealId, sealKey) as unknown as CredentialValue,
      expiresAt: record.expiresAt,
    }
  }

  const sealed: CredentialStore = {
    name: store.name,
    get: async (key) => open(key, await store.get(key)),
    set: async (key, record) => store.set(key, await seal(key, record)),
    delete: (key) => {
      cache.delete(key)
      return store.delete(key)
    },
    close: () => {
      cache.clear()
      return store.close()
    },
  }
  // The synchronous read only when no key provider may have to be asked first.
  const innerSync = store.getSync
  if (innerSync !== undefined && !keyring.dynamic) {
    sealed.getSync = (key, now) => openSync(key, innerSync.call(store, key, now))
  }
  const innerKeys = store.keys
  if (innerKeys !== undefined) sealed.keys = () => innerKeys.call(store)
  if (store.lock !== undefined) Object.defineProperty(sealed, 'lock', { value: store.lock, enumerable: true })
  // Whether the backend persists decides where a durable kind may be written; its write notices wake waiters.
  if (store.persistent !== undefined)
    Object.defineProperty(sealed, 'persistent', { value: store.persistent, enumerable: true })
  const innerWatch = store.watch
  if (innerWatch !== undefined) sealed.watch = (key, onChange) => innerWatch.call(store, key, onChange)
  const innerCas = store.compareAndSet
  if (innerCas !== undefined) {
    sealed.compareAndSet = async (key, expected, record) => {
      const stored = await store.get(key)
      const expectedLive = expected !== undefined && isLive(expected)
      let opened: StoredRecord | undefined
      if (stored !== undefined) {
        try {
          opened = await open(key, stored)
        } catch {
          // A durable record that does not open is not a live credential this write would overwrite by mistake.
          opened = undefined
        }
      }
      if (expectedLive) {
        if (opened === undefined || !sameRecord(opened, expected)) return false
      } else if (opened !== undefined) {
        return false
      }
      // The envelope as stored (or nothing): the store compares it in the same atomic step as the write.
      return innerCas.call(store, key, stored, await seal(key, record))
    }
  }
  return sealed
}

function sameRecord(a: StoredRecord, b: StoredRecord): boolean {
  return a.expiresAt === b.expiresAt && JSON.stringify(a.value) === JSON.stringify(b.value)
}

/**
 * Does this tier error end the read instead of moving on to the next tier? A record of a kind that cannot be
 * fetched again that did not open: the caller must learn of it, not get a quiet miss (or an older copy below).
 */
export function endsRead(error: unknown): boolean {
  return isBridgeError(error, 'E_SEAL_OPEN_FAILED') && (error as SealOpenError).durable === true
}
