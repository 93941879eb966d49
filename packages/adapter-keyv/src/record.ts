import { asStoredRecord, type StoredRecord } from '@open-bridge/core'
import { KeyvStoreError } from './errors.js'

/**
 * Checks that what Keyv returned is a record this store wrote: `{ value: object, expiresAt: number | null }`.
 * Anything else under the key is reported rather than served, so a shared namespace cannot feed a
 * caller a foreign value.
 */
export function readRecord(stored: unknown): StoredRecord {
  const record = asStoredRecord(stored)
  if (record !== undefined) return record
  throw new KeyvStoreError(
    'E_KEYV_CORRUPT_RECORD',
    'the entry is not a { value: object, expiresAt: number | null } record',
  )
}
