import type { CredentialValue } from './credentials.js'
import type { StoredRecord } from './store.js'

/**
 * The small rules every tier needs to read back what it stored (and to keep what it writes out of a driver's
 * error), in one place so each adapter applies them alike. Each returns `undefined` for what does not fit; the adapter throws its own coded corrupt-record
 * error (naming the key, never quoting the stored text: it may hold a credential).
 */

/** A plain object: not `null`, not an array, not a `Date` (a driver's BSON date is an object too). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/** The JSON text of a plain object, parsed; `undefined` for invalid JSON or any other JSON value. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  return isPlainObject(parsed) ? parsed : undefined
}

/** An absolute expiry as stored: ms since the epoch (finite) or `null` for never. */
export function isExpiresAt(value: unknown): value is number | null {
  return value === null || (typeof value === 'number' && Number.isFinite(value))
}

/** `stored` when it is a `{ value: object, expiresAt: number | null }` record, else `undefined`. */
export function asStoredRecord(stored: unknown): StoredRecord | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined
  const { value, expiresAt } = stored as Partial<Record<keyof StoredRecord, unknown>>
  return isPlainObject(value) && isExpiresAt(expiresAt) ? { value: value as CredentialValue, expiresAt } : undefined
}

/**
 * The time a record has left, in whole ms rounded up, for a tier's own TTL: `null` for a record that never
 * expires, `0` or less for one already expired (the caller deletes rather than writes it).
 */
export function ttlMsOf(record: StoredRecord, now: number = Date.now()): number | null {
  return record.expiresAt === null ? null : Math.ceil(record.expiresAt - now)
}

/** Shorter strings are field values such as `"Bearer"` or a platform name, not secrets worth masking. */
const MIN_SECRET_LENGTH = 6
/** Deeper than any credential value; bounds the walk on a hostile one. */
const MAX_SECRET_DEPTH = 8

/**
 * The strings to mask (`sanitizeCause(error, literals)`) from a driver's message when a write of `value`
 * fails, since a driver may quote what it was sent: the value's JSON, and each string inside it of six
 * characters or more, raw and JSON-escaped.
 */
export function secretStringsOf(value: object): string[] {
  const found: string[] = [JSON.stringify(value)]
  const walk = (node: unknown, depth: number): void => {
    if (typeof node === 'string') {
      if (node.length < MIN_SECRET_LENGTH) return
      found.push(node)
      const escaped = JSON.stringify(node).slice(1, -1)
      if (escaped !== node) found.push(escaped)
    } else if (typeof node === 'object' && node !== null && depth < MAX_SECRET_DEPTH) {
      for (const child of Object.values(node)) walk(child, depth + 1)
    }
  }
  walk(value, 0)
  return found
}
