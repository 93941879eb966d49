import type { CredentialValue } from './credentials.js'
import { BridgeError, describeType } from './errors.js'
import type { StoredRecord } from './store.js'

/**
 * Turns uni-open-bridge's `expiresIn` (seconds; `-1` or omitted = never) into an absolute expiry,
 * `null` meaning never. `field` names the argument in the error (`expiresIn`, `fallback().duration`).
 */
export function expiresAtFrom(expiresIn: unknown, field: string, now: number = Date.now()): number | null {
  if (expiresIn === undefined || expiresIn === -1) return null
  // The sum is checked too: a huge finite expiresIn overflows to Infinity, which JSON tiers would store as null.
  if (typeof expiresIn !== 'number' || !(expiresIn > 0) || !Number.isFinite(now + expiresIn * 1000)) {
    throw new BridgeError('E_INVALID_EXPIRES', `${field} must be a positive number of seconds or -1, got ${describeNumber(expiresIn)}`, {
      field,
    })
  }
  return now + expiresIn * 1000
}

export function isLive(record: StoredRecord, now: number = Date.now()): boolean {
  return record.expiresAt === null || record.expiresAt > now
}

/** A credential value must be a plain object (what every tier can serialise). */
export function assertCredentialValue(value: unknown, field: string): asserts value is CredentialValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BridgeError('E_INVALID_VALUE', `${field} must be a plain object, got ${describeType(value)}`, { field })
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) {
    throw new BridgeError('E_INVALID_VALUE', `${field} must be a plain object, got an instance of a class`, { field })
  }
}

/** Numbers are not secret; anything else is described by type only. */
function describeNumber(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeType(value)
}
