import { CREDENTIAL_KINDS } from './credentials.js'
import { BridgeError, describeType } from './errors.js'

/**
 * Checks one key field: resolves `undefined` when the value is acceptable, else what is wrong with it, worded to
 * follow the field's name (`must be a non-empty string`). The bridge turns it into `E_INVALID_KEY` naming
 * `key.<field>`; a check never prints the value (it may be an identifier a log should not carry).
 */
export type KeyFieldCheck = (value: unknown) => string | undefined

/**
 * A credential kind as data: what a family package (a third-party platform, WeCom, …) registers so the bridge can
 * store, read, fetch and refresh it like uni-open-bridge's own kinds. `Key` is the key object callers pass,
 * `Value` the value object stored (its `credentialField` is the credential string).
 */
export interface CredentialKindDefinition<
  Key extends object = Record<string, unknown>,
  Value extends object = Record<string, unknown>,
> {
  /** The kind's name: lower case, digits and `_`, starting with a letter (`corp_token`). Unique in the process. */
  readonly name: string
  /** Every field of the key and its check (see `keyField`): the key type cannot name a field this does not check. */
  readonly keyFields: { readonly [F in keyof Key & string]-?: KeyFieldCheck }
  /**
   * The storage key of a checked key: the layout of the family's records in every tier. It receives only the
   * declared fields, each already checked. Use a prefix of the family's own (`wecom:<corpid>:<agentid>:corp-token`)
   * so no two families' keys meet; a field checked by `keyField.segment` holds no `:`, so the layout stays unambiguous.
   */
  readonly storageKey: (key: Readonly<Key>) => string
  /**
   * Optional, the inverse of `storageKey`: the key a storage key of this kind was built from, `undefined` for any
   * other string. Tools that walk a store (`open-bridge export`, `copy`, `rekey`) find a record's kind with it, and a
   * sealed tier knows whether a record that did not open may be re-fetched; a kind without it is left out of those
   * walks. It is trusted only when `storageKey` of what it returns (checked like any key) gives the same string back.
   */
  readonly parseStorageKey?: (storageKey: string) => Readonly<Key> | undefined
  /** The field of the value that is the credential: what `ifValue` compares, what a refresh must change. */
  readonly credentialField: keyof Value & string
  /** Further fields a value is useless without (checked as non-empty strings on every write), e.g. an `iv`. */
  readonly companionFields?: ReadonlyArray<keyof Value & string>
  /** Seconds a value lives when `set` is given no `expiresIn` (omitted = never expires, as for today's kinds). */
  readonly life?: number
  /** Milliseconds before expiry at which a hit starts one background refresh through the source. Default 0 (off). */
  readonly refreshAhead?: number
  /**
   * It cannot be fetched again (a refresh token, a permanent code, a pushed ticket): a `set` resolves only once a
   * persistent tier (`store.persistent === true`) holds it, and a bridge without one refuses it (`E_NO_DURABLE_TIER`).
   */
  readonly durable?: boolean
  /** It is never fetched: it arrives only by a platform's push (stored with `set`). A miss is `E_PUSHED_MISSING`. */
  readonly pushed?: boolean
  /**
   * For `E_PUSHED_MISSING`: what an operator should check when nothing has arrived (the push URL configured on the
   * platform, the service reachable from it, …). Shown in the error; never put a secret here.
   */
  readonly pushedHint?: string
}

/**
 * What a source's `fetchKind` receives for a registered kind: the checked key fields (the declared ones only),
 * the kind's name and the storage key.
 */
export type ResolvedKindKey<Key extends object = Record<string, unknown>> = Readonly<Key> & {
  readonly kind: string
  readonly storageKey: string
}

/** What a source's `fetchKind` returns: the value and its life in seconds (`-1` = never expires). */
export interface KindFetchResult<Value extends object = object> {
  value: Value
  expiresIn: number
}

/** A registered kind, checked and frozen, with the field names in declaration order. */
export interface RegisteredKind {
  readonly definition: CredentialKindDefinition
  readonly fields: readonly string[]
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/

/**
 * The process's registry, on `globalThis` under a `Symbol.for` name: the ESM and the CJS copy of core (and two
 * installed versions) see the same kinds, so a family package registers once whichever copy it imports.
 */
const REGISTRY_KEY = Symbol.for('open-bridge.credential-kinds')
function registry(): Map<string, RegisteredKind> {
  const holder = globalThis as { [REGISTRY_KEY]?: Map<string, RegisteredKind> }
  let map = holder[REGISTRY_KEY]
  if (map === undefined) {
    map = new Map()
    holder[REGISTRY_KEY] = map
  }
  return map
}

/**
 * Registers a kind for every bridge of the process (a family package does it when it is imported). Registering the
 * same definition again is a no-op; a different definition under a taken name (or a uni-open-bridge kind's name)
 * throws `E_KIND_EXISTS`; a malformed one `E_INVALID_KIND` naming the property (`kind.storageKey`).
 * Returns the registered definition (a frozen copy, typed), for `bridge.credential(definition)`.
 */
export function registerKind<Key extends object, Value extends object = Record<string, unknown>>(
  definition: CredentialKindDefinition<Key, Value>,
): CredentialKindDefinition<Key, Value> {
  const checked = checkDefinition(definition)
  const kinds = registry()
  const existing = kinds.get(checked.name)
  if (
    (CREDENTIAL_KINDS as readonly string[]).includes(checked.name) ||
    (existing !== undefined && !sameDefinition(existing.definition, checked))
  ) {
    throw new BridgeError('E_KIND_EXISTS', `a credential kind named ${checked.name} is already registered`, {
      field: 'kind.name',
    })
  }
  if (existing !== undefined) return existing.definition as unknown as CredentialKindDefinition<Key, Value>
  kinds.set(checked.name, Object.freeze({ definition: checked, fields: Object.keys(checked.keyFields) }))
  return checked as unknown as CredentialKindDefinition<Key, Value>
}

/** The registered kind named `name`, if any (never one of uni-open-bridge's kinds: those are built in). */
export function registeredKind(name: unknown): RegisteredKind | undefined {
  return typeof name === 'string' ? registry().get(name) : undefined
}

/** Every registered kind (not uni-open-bridge's built-in ones), in registration order. */
export function registeredKinds(): IterableIterator<RegisteredKind> {
  return registry().values()
}

/** Ready-made key-field checks. */
export const keyField = {
  /** A non-empty string without `:` (so a storage key built from it stays unambiguous). */
  segment(): KeyFieldCheck {
    return segmentProblem
  },
  /** Like `segment`, or absent. */
  optionalSegment(): KeyFieldCheck {
    return (value) => (value === undefined ? undefined : segmentProblem(value))
  },
  /** An integer ≥ `min` (default 0). */
  integer(min = 0): KeyFieldCheck {
    return (value) =>
      typeof value === 'number' && Number.isInteger(value) && value >= min
        ? undefined
        : `must be an integer ≥ ${min}, got ${describeType(value)}`
  },
  /** One of the given strings. */
  oneOf(values: readonly string[]): KeyFieldCheck {
    const allowed = new Set(values)
    return (value) =>
      typeof value === 'string' && allowed.has(value) ? undefined : `must be one of ${values.join(', ')}`
  },
} as const

function segmentProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `must be a non-empty string, got ${describeType(value)}`
  return value.includes(':') ? `must not contain ':'` : undefined
}

/**
 * Checks a key against a registered kind and builds its storage key. Returns the checked key (the declared fields
 * only, frozen) and the storage key. Throws `E_INVALID_KEY` naming the field, or `E_INVALID_KIND` when the kind's own
 * layout returns no string.
 */
export function resolveKindKey(
  kind: RegisteredKind,
  key: unknown,
): { fields: Readonly<Record<string, unknown>>; storageKey: string } {
  if (typeof key !== 'object' || key === null) {
    throw new BridgeError('E_INVALID_KEY', `key must be an object, got ${describeType(key)}`, { field: 'key' })
  }
  const checks = kind.definition.keyFields as Record<string, KeyFieldCheck>
  const fields: Record<string, unknown> = {}
  for (const name of kind.fields) {
    // Read once: a getter cannot hand the check one value and the layout another.
    const value = (key as Record<string, unknown>)[name]
    const problem = checks[name]!(value)
    if (problem !== undefined) {
      throw new BridgeError('E_INVALID_KEY', `key.${name} ${problem}`, { field: `key.${name}` })
    }
    if (value !== undefined) fields[name] = value
  }
  // Not frozen: a copy made for this call alone (sources get a frozen one, `resolveRegistered`).
  const storageKey: unknown = kind.definition.storageKey(fields)
  if (typeof storageKey !== 'string' || storageKey.length === 0) {
    throw new BridgeError(
      'E_INVALID_KIND',
      `the storageKey of kind ${kind.definition.name} returned ${describeType(storageKey)}, not a non-empty string`,
      { field: 'kind.storageKey' },
    )
  }
  return { fields, storageKey }
}

function checkDefinition<Key extends object, Value extends object>(
  definition: CredentialKindDefinition<Key, Value>,
): CredentialKindDefinition {
  if (typeof definition !== 'object' || definition === null) {
    throw invalid('kind', `a kind definition must be an object, got ${describeType(definition)}`)
  }
  const d = definition as unknown as Record<string, unknown>
  if (typeof d.name !== 'string' || !NAME.test(d.name)) {
    throw invalid('kind.name', 'kind.name must be lower case letters, digits and _, starting with a letter (≤ 64)')
  }
  const fields = d.keyFields
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || Object.keys(fields).length === 0) {
    throw invalid('kind.keyFields', 'kind.keyFields must be an object naming at least one key field')
  }
  for (const [field, check] of Object.entries(fields)) {
    if (typeof check !== 'function')
      throw invalid(`kind.keyFields.${field}`, `kind.keyFields.${field} must be a check function`)
  }
  if (typeof d.storageKey !== 'function')
    throw invalid('kind.storageKey', 'kind.storageKey must be a function of the key')
  if (d.parseStorageKey !== undefined && typeof d.parseStorageKey !== 'function')
    throw invalid('kind.parseStorageKey', 'kind.parseStorageKey must be a function of a storage key')
  if (typeof d.credentialField !== 'string' || d.credentialField.length === 0) {
    throw invalid(
      'kind.credentialField',
      'kind.credentialField must name the field of the value that is the credential',
    )
  }
  const companions = d.companionFields
  if (
    companions !== undefined &&
    (!Array.isArray(companions) || companions.some((field) => typeof field !== 'string' || field.length === 0))
  ) {
    throw invalid('kind.companionFields', 'kind.companionFields must be an array of field names')
  }
  if (d.life !== undefined && (typeof d.life !== 'number' || !Number.isFinite(d.life) || d.life <= 0)) {
    throw invalid('kind.life', 'kind.life must be a positive number of seconds')
  }
  if (
    d.refreshAhead !== undefined &&
    (typeof d.refreshAhead !== 'number' || !Number.isFinite(d.refreshAhead) || d.refreshAhead < 0)
  ) {
    throw invalid('kind.refreshAhead', 'kind.refreshAhead must be a number of milliseconds ≥ 0')
  }
  for (const flag of ['durable', 'pushed'] as const) {
    if (d[flag] !== undefined && typeof d[flag] !== 'boolean')
      throw invalid(`kind.${flag}`, `kind.${flag} must be a boolean`)
  }
  if (d.pushedHint !== undefined && typeof d.pushedHint !== 'string') {
    throw invalid('kind.pushedHint', 'kind.pushedHint must be a string')
  }
  if (d.pushed === true && (d.refreshAhead ?? 0) !== 0) {
    throw invalid('kind.refreshAhead', 'a pushed kind is never fetched, so it cannot be refreshed ahead')
  }
  // Frozen copies: a definition changed after registration must not change what the bridges do.
  return Object.freeze({
    ...(definition as unknown as CredentialKindDefinition),
    keyFields: Object.freeze({ ...(fields as Record<string, KeyFieldCheck>) }),
    ...(companions === undefined ? {} : { companionFields: Object.freeze([...(companions as string[])]) }),
  })
}

/** The same kind registered twice (a package imported as ESM and as CJS): same data, same layout. */
function sameDefinition(a: CredentialKindDefinition, b: CredentialKindDefinition): boolean {
  const fieldsA = Object.keys(a.keyFields)
  const fieldsB = Object.keys(b.keyFields)
  return (
    a.credentialField === b.credentialField &&
    (a.life ?? 0) === (b.life ?? 0) &&
    (a.refreshAhead ?? 0) === (b.refreshAhead ?? 0) &&
    (a.durable ?? false) === (b.durable ?? false) &&
    (a.pushed ?? false) === (b.pushed ?? false) &&
    String(a.storageKey) === String(b.storageKey) &&
    String(a.parseStorageKey) === String(b.parseStorageKey) &&
    fieldsA.length === fieldsB.length &&
    fieldsA.every((field, i) => field === fieldsB[i]) &&
    (a.companionFields ?? []).join() === (b.companionFields ?? []).join()
  )
}

function invalid(field: string, message: string): BridgeError {
  return new BridgeError('E_INVALID_KIND', message, { field })
}
