import { isExpiresAt, parseJsonObject, type CredentialValue, type StoredRecord } from '@open-bridge/core'
import { RedisStoreError } from './errors.js'

/**
 * The field that carries a record's absolute expiry inside the stored JSON (ms since the epoch, `null` =
 * never). Keeping it in the value lets a read be one plain `GET` — no script, no second command — and keeps
 * the expiry exact; the key's own TTL is set too, so Redis still drops the entry by itself. A reader that
 * knows nothing of it (uni-open-bridge) sees one extra field in the value object.
 */
export const EXPIRES_FIELD = '__expiresAt'

/** The JSON stored for a record: the value's fields, then `__expiresAt`. */
export function encodeRecord(record: StoredRecord): string {
  return JSON.stringify({ ...record.value, [EXPIRES_FIELD]: record.expiresAt })
}

/**
 * Parses stored JSON. `expiresAt` is `undefined` when the JSON has no `__expiresAt` (a value written by
 * uni-open-bridge or by hand): the caller then takes the expiry from the key's TTL.
 */
export function decodeRecord(
  json: string,
  key: string,
): { value: CredentialValue; expiresAt: number | null | undefined } {
  const parsed = parseJsonObject(json)
  if (parsed === undefined) {
    throw new RedisStoreError('E_REDIS_CORRUPT_RECORD', `redis key ${key} does not hold the JSON of a value object`, {
      field: key,
    })
  }
  if (!Object.hasOwn(parsed, EXPIRES_FIELD)) return { value: parsed as CredentialValue, expiresAt: undefined }
  const expiresAt = parsed[EXPIRES_FIELD]
  if (!isExpiresAt(expiresAt)) {
    throw new RedisStoreError('E_REDIS_CORRUPT_RECORD', `redis key ${key} holds a malformed ${EXPIRES_FIELD}`, {
      field: key,
    })
  }
  // The parsed object is this read's own: the field is removed from it rather than the rest copied (a read is the
  // hot path). `encodeRecord` writes it last, and V8 deletes an object's last-added property without leaving its
  // fast layout.
  delete parsed[EXPIRES_FIELD]
  return { value: parsed as CredentialValue, expiresAt }
}
