import { CREDENTIAL_FIELDS, type CredentialKind, type CredentialValue } from './credentials.js'
import { BridgeError, describeType } from './errors.js'
import { registeredKind } from './kind-registry.js'
import type { StoredRecord } from './store.js'

/**
 * Turns uni-open-bridge's `expiresIn` (seconds; `-1` or omitted = never) into an absolute expiry,
 * `null` meaning never. `field` names the argument in the error (`expiresIn`, `fallback().duration`).
 */
export function expiresAtFrom(expiresIn: unknown, field: string, now: number = Date.now()): number | null {
  if (expiresIn === undefined || expiresIn === -1) return null
  // The sum is checked too: a huge finite expiresIn overflows to Infinity, which JSON tiers would store as null.
  if (typeof expiresIn !== 'number' || !(expiresIn > 0) || !Number.isFinite(now + expiresIn * 1000)) {
    throw new BridgeError(
      'E_INVALID_EXPIRES',
      `${field} must be a positive number of seconds or -1, got ${describeNumber(expiresIn)}`,
      {
        field,
      },
    )
  }
  return now + expiresIn * 1000
}

/** Is the record still good at `now`: no expiry, or one still ahead. Every tier and the chain decide by this. */
export function isLive(record: StoredRecord, now: number = Date.now()): boolean {
  return record.expiresAt === null || record.expiresAt > now
}

/** Fields a value needs besides its credential field (`CREDENTIAL_FIELDS`): an encrypt_key is useless without its iv. */
const COMPANION_FIELDS: { readonly [K in CredentialKind]?: readonly string[] } = { encrypt_key: ['iv'] }
const ANY_CREDENTIAL_FIELD: readonly string[] = [...new Set(Object.values(CREDENTIAL_FIELDS))]
/** Deeper than any platform reply; bounds the walk (and its recursion) on a hostile value. */
const MAX_DEPTH = 32

/**
 * A credential value must be what every tier stores alike: a plain JSON object (no function, BigInt, symbol,
 * Date or other class instance, `toJSON`, non-finite number, sparse array or cycle anywhere inside — JSON would
 * change or drop each, so a memory tier and a Redis tier would hold different things), carrying its credential
 * as a non-empty string. With `kind`, that is the kind's field (`CREDENTIAL_FIELDS`; `encrypt_key` needs `iv`
 * too); without, at least one of the credential fields, and every one present a non-empty string.
 * Fields set to `undefined` are allowed: JSON leaves them out, and a reader sees them absent either way.
 * Throws `E_INVALID_VALUE` naming the field at fault (`value.extra.list[2]`), never printing a value.
 */
export function assertCredentialValue(
  value: unknown,
  field: string,
  kind?: CredentialKind | (string & {}),
): asserts value is CredentialValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BridgeError('E_INVALID_VALUE', `${field} must be a plain object, got ${describeType(value)}`, { field })
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) {
    throw new BridgeError('E_INVALID_VALUE', `${field} must be a plain object, got an instance of a class`, { field })
  }
  const fields = value as Record<string, unknown>
  const registered = kind === undefined || Object.hasOwn(CREDENTIAL_FIELDS, kind) ? undefined : registeredKind(kind)
  if (kind !== undefined && Object.hasOwn(CREDENTIAL_FIELDS, kind)) {
    const name = CREDENTIAL_FIELDS[kind as CredentialKind]
    requireCredentialString(fields[name], `${field}.${name}`)
    for (const companion of COMPANION_FIELDS[kind as CredentialKind] ?? [])
      requireCredentialString(fields[companion], `${field}.${companion}`)
  } else if (registered !== undefined) {
    const { credentialField, companionFields = [] } = registered.definition
    for (const name of [credentialField, ...companionFields]) requireCredentialString(fields[name], `${field}.${name}`)
  } else {
    let found = false
    for (const name of ANY_CREDENTIAL_FIELD) {
      if (fields[name] === undefined) continue
      requireCredentialString(fields[name], `${field}.${name}`)
      found = true
    }
    if (!found) {
      throw new BridgeError(
        'E_INVALID_VALUE',
        `${field} must carry its credential (${ANY_CREDENTIAL_FIELD.join(', ')}) as a string`,
        {
          field,
        },
      )
    }
  }
  assertJsonFaithful(value, field, [], 0)
}

function requireCredentialString(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new BridgeError(
      'E_INVALID_VALUE',
      `${field} must be a non-empty string, got ${value === '' ? 'an empty string' : describeType(value)}`,
      {
        field,
      },
    )
  }
}

/** Walks the value once; `ancestors` is the path from the root, so a cycle is found without a Set per call. */
function assertJsonFaithful(value: unknown, field: string, ancestors: object[], depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) refuse(field, 'is not a finite number (JSON would store null)')
      return
    case 'undefined':
      return
    case 'object':
      break
    default:
      refuse(field, `is ${describeType(value)}, which JSON cannot store`)
  }
  if (value === null) return
  if (depth >= MAX_DEPTH) refuse(field, `nests deeper than ${MAX_DEPTH} levels`)
  if (ancestors.includes(value)) refuse(field, 'refers back to itself (a cycle)')
  if (Object.getOwnPropertySymbols(value).length > 0) refuse(field, 'has symbol keys, which JSON drops')
  ancestors.push(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) refuse(`${field}[${i}]`, 'is a hole in a sparse array (JSON would store null)')
      if (value[i] === undefined) refuse(`${field}[${i}]`, 'is undefined inside an array (JSON would store null)')
      assertJsonFaithful(value[i], `${field}[${i}]`, ancestors, depth + 1)
    }
  } else {
    const proto = Object.getPrototypeOf(value) as unknown
    if (proto !== Object.prototype && proto !== null)
      refuse(field, 'is not a plain object (a Date, Map, Buffer or class instance)')
    const fields = value as Record<string, unknown>
    // A `toJSON` (which would change what JSON stores) is a function field, refused like any other.
    for (const name of Object.keys(fields)) assertJsonFaithful(fields[name], `${field}.${name}`, ancestors, depth + 1)
  }
  ancestors.pop()
}

function refuse(field: string, problem: string): never {
  throw new BridgeError('E_INVALID_VALUE', `${field} ${problem}`, { field })
}

/** Numbers are not secret; anything else is described by type only. */
function describeNumber(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeType(value)
}
