import type { CredentialKind } from './credentials.js'
import { deepFreeze } from './deep-freeze.js'
import { BridgeError, describeType } from './errors.js'
import { assertCredentialValue, expiresAtFrom } from './expiry.js'
import type { StoredRecord } from './store.js'

/**
 * Checks what a fallback (`{ value, duration }`) or a source (`{ value, expiresIn }`) produced and turns it
 * into a frozen record every waiter can share; `null`/`undefined` mean "nothing to store". The life is
 * required (`-1` = never): a result without one is an error, not a credential kept forever by accident.
 */
export function toRecord(produced: unknown, by: 'fallback' | 'source', kind: CredentialKind): StoredRecord | null {
  if (produced === null || produced === undefined) return null
  const call = by === 'fallback' ? 'fallback()' : 'source.fetch()'
  const lifeField = by === 'fallback' ? 'duration' : 'expiresIn'
  if (typeof produced !== 'object') {
    throw new BridgeError(
      'E_INVALID_VALUE',
      `${call} must resolve { value, ${lifeField} } or null, got ${describeType(produced)}`,
      {
        field: call,
      },
    )
  }
  const result = produced as Record<string, unknown>
  assertCredentialValue(result.value, `${call}.value`, kind)
  const life = result[lifeField]
  if (life === undefined) {
    throw new BridgeError('E_INVALID_EXPIRES', `${call}.${lifeField} is required: seconds of life, or -1 for never`, {
      field: `${call}.${lifeField}`,
    })
  }
  const expiresAt = expiresAtFrom(life, `${call}.${lifeField}`)
  // Checked JSON-faithful above, so the copy cannot fail.
  const value = structuredClone(result.value)
  return Object.freeze({ value: deepFreeze(value) as StoredRecord['value'], expiresAt })
}
