import {
  isExpiresAt,
  isLive,
  isPlainObject,
  parseJsonObject,
  type CredentialValue,
  type StoredRecord,
} from '@open-bridge/core'
import type { Filter } from 'mongodb'
import { MongoStoreError } from './errors.js'

/**
 * A document of the credential collection as read back. `value` and `expired` are `unknown` because the
 * collection may still hold documents uni-open-bridge wrote (a JSON string and a ms number, `-1` = never).
 */
export interface CredentialDocument {
  /** The storage key, e.g. `uni-id:weixin-mp:wx123:access-token`. */
  _id: string
  value: unknown
  expired?: unknown
}

/** What `set` writes: the value as an object and, unless it never expires, `expired` as a Date for the TTL index. */
export interface WrittenDocument {
  value: object
  expired?: Date
}

export function toDocument(record: StoredRecord): WrittenDocument {
  // "Never" leaves `expired` out: the TTL index ignores documents without a Date in the indexed field.
  return record.expiresAt === null
    ? { value: record.value }
    : { value: record.value, expired: new Date(record.expiresAt) }
}

/**
 * The filter of a compare-and-set of `key`, and whether the write is an upsert. Seen a live record: only the
 * document that still holds exactly that value and expiry (field order included, as this store wrote it; "never"
 * is an absent `expired`). Seen nothing, or a record expired by `now`: only a document expired by `now`, upserted.
 */
export function compareFilter(
  key: string,
  expected: StoredRecord | undefined,
  now: number,
): { filter: Filter<CredentialDocument>; upsert: boolean } {
  if (expected !== undefined && isLive(expected, now)) {
    const seen = toDocument(expected)
    const expired = seen.expired === undefined ? { $exists: false } : seen.expired
    return { filter: { _id: key, value: seen.value, expired } as Filter<CredentialDocument>, upsert: false }
  }
  return { filter: { _id: key, expired: { $lte: new Date(now) } } as Filter<CredentialDocument>, upsert: true }
}

/** Reads both layouts; uni-open-bridge's is parsed only when met, so documents this store wrote cost no parse. */
export function fromDocument(document: Pick<CredentialDocument, 'value' | 'expired'>): StoredRecord {
  return { value: valueFrom(document.value), expiresAt: expiresAtOf(document.expired) }
}

// The store cannot tell which kind a key holds; it returns the object that was written, as the memory tier does.
function valueFrom(value: unknown): CredentialValue {
  const object = isPlainObject(value) ? value : typeof value === 'string' ? parseJsonObject(value) : undefined
  if (object !== undefined) return object as CredentialValue
  throw new MongoStoreError(
    'E_MONGO_CORRUPT_RECORD',
    'the stored value is neither an object nor a JSON object string',
    { field: 'value' },
  )
}

/**
 * The `_id` of each live document of a walk (the documents of a cursor projected to `_id` and `expired`), in order;
 * a document expired by the time it is read (the TTL monitor runs every 60 s), or whose expiry cannot be read, is
 * passed over.
 */
export async function* liveIds(
  documents: AsyncIterable<{ _id?: unknown; expired?: unknown }>,
  now: () => number = Date.now,
): AsyncGenerator<string> {
  for await (const document of documents) {
    if (typeof document._id === 'string' && isLiveExpiry(document.expired, now())) yield document._id
  }
}

/** Is a document's `expired` (a Date, ms, `-1` / absent = never) still ahead of `now`? Unreadable: no. */
export function isLiveExpiry(expired: unknown, now: number): boolean {
  try {
    const expiresAt = expiresAtOf(expired)
    return expiresAt === null || expiresAt > now
  } catch {
    return false
  }
}

function expiresAtOf(expired: unknown): number | null {
  if (expired === undefined || expired === null || expired === -1) return null
  const ms = expired instanceof Date ? expired.getTime() : expired
  if (isExpiresAt(ms)) return ms
  throw new MongoStoreError(
    'E_MONGO_CORRUPT_RECORD',
    'the stored expiry is neither a Date, a number of ms, -1 nor absent',
    { field: 'expired' },
  )
}
