/**
 * Every error open-bridge throws on purpose is a `BridgeError` with a stable `code`.
 * Messages name the offending field, never a value that could be a secret.
 * Other packages extend `BridgeError` with codes of their own, so `instanceof BridgeError` catches all.
 */

import { redactSecrets } from './redact-secrets.js'

/** The codes `@open-bridge/core` throws. */
export type CoreErrorCode =
  /** A key is not an object, misses a required field, has a field of the wrong type, or names an unknown platform. */
  | 'E_INVALID_KEY'
  /** The key names a `dcloudAppid` that is not configured for that platform in `apps`. */
  | 'E_UNKNOWN_APP'
  /** A credential value is not a plain object. */
  | 'E_INVALID_VALUE'
  /** `expiresIn` (or a fallback's `duration`) is neither a positive finite number of seconds nor `-1`. */
  | 'E_INVALID_EXPIRES'
  /** `createBridge` / `memoryStore` options are malformed. */
  | 'E_INVALID_CONFIG'
  /** Every tier failed to answer a read and no fallback or source could stand in. */
  | 'E_STORE_UNAVAILABLE'
  /** The bridge was closed. */
  | 'E_CLOSED'
  /** Waited for another process's refresh of the key past `lock.waitTimeout` without a value or the lock. */
  | 'E_REFRESH_TIMEOUT'
  /** A source or fallback did not answer within `fetchTimeout` (its `ctx.signal` was aborted). */
  | 'E_FETCH_TIMEOUT'
  /**
   * A source failed with an error that had no `code` of its own, and another process's record of that failure
   * (deployment-wide failure memory) answers this caller: see `SharedFailureError`.
   */
  | 'E_FETCH_FAILED'
  /** `refresh` was called on a bridge without a source: nothing could fetch a new credential. */
  | 'E_NO_SOURCE'
  /** `withCredential` found no credential for the key (nothing stored and nothing could fetch one). */
  | 'E_NO_CREDENTIAL'
  /** A credential kind definition is malformed (`registerKind`): the field names the property. */
  | 'E_INVALID_KIND'
  /** A kind of that name is already registered with a different definition (or is one of the built-in kinds). */
  | 'E_KIND_EXISTS'
  /** A durable kind was set on a bridge with no persistent tier, or no persistent tier took the write. */
  | 'E_NO_DURABLE_TIER'
  /** A pushed kind (never fetched) has nothing stored: the platform's pushes have not arrived. */
  | 'E_PUSHED_MISSING'
  /**
   * A sealed record (encryption at rest) could not be opened: its key id is not in the keyring, it was moved under
   * another storage key or changed, it is not an envelope, or it is a plain record and `acceptPlain` is off.
   * Carries `keyId` and `reason` (see `SealOpenError`), never the value.
   */
  | 'E_SEAL_OPEN_FAILED'
  /** `encryption.keys` is a key provider and it failed (rejected, threw or answered no usable key). */
  | 'E_KEYS_UNAVAILABLE'

export interface BridgeErrorOptions {
  /** The field at fault, e.g. `key.openid` or `apps[1].appid`. */
  field?: string
  cause?: unknown
}

/**
 * One package's mark on its errors, recognised across every copy of that package (ESM and CJS builds, two
 * installed versions), where `instanceof` sees two classes. `mark(this)` in the error's constructor; `has` in
 * the package's guard (`isWechatError`, …). The symbol is `Symbol.for('open-bridge.<name>')`.
 */
export interface ErrorBrand {
  /** Marks `error` (a non-enumerable property: inspect and JSON stay as they were). */
  mark(error: Error): void
  /** Does `value` carry the mark, and, when `code` is given, that `code`? */
  has(value: unknown, code?: string): boolean
}

/** The brand named `open-bridge.<name>`: `errorBrand('wechat-error')` is wechat-fetchers'. */
export function errorBrand(name: string): ErrorBrand {
  const symbol = Symbol.for(`open-bridge.${name}`)
  return {
    mark: (error) => {
      Object.defineProperty(error, symbol, { value: true })
    },
    has: (value, code) =>
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[symbol] === true &&
      (code === undefined || (value as { code?: unknown }).code === code),
  }
}

/** Core's own brand, carried by every `BridgeError` of every package. */
const bridgeBrand = errorBrand('error')

export class BridgeError<Code extends string = CoreErrorCode> extends Error {
  override name = 'BridgeError'
  readonly code: Code
  readonly field: string | undefined

  constructor(code: Code, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.field = options.field
    // Not enumerable: inspect and JSON stay as they were.
    bridgeBrand.mark(this)
  }

  /**
   * `error instanceof BridgeError` is true for an open-bridge error made by any copy of the package; a
   * subclass (`RedisStoreError`, …) keeps the ordinary prototype test. Typed as a predicate on the class it is
   * called on, so `error instanceof BridgeError` narrows `code` to `string` (any package's code), not to `any`.
   */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` was asked about (a subclass too), not always BridgeError
    if ((this as unknown) !== BridgeError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return bridgeBrand.has(value)
  }

  /** What `JSON.stringify` shows: the code, the message and the field, nothing else. */
  toJSON(): { name: string; code: Code; message: string; field?: string } {
    return { name: this.name, code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) }
  }
}

/**
 * Is `error` a `BridgeError` (of any open-bridge package), optionally with the given code? Without a code its `code`
 * is any package's (`string`); with one, that code.
 */
export function isBridgeError<Code extends string = string>(error: unknown, code?: Code): error is BridgeError<Code> {
  return bridgeBrand.has(error, code)
}

/**
 * What may travel as the `cause` of an error that leaves open-bridge: the driver error's name, code and
 * message — masked by `redactSecrets` (URL credentials, secret query values, `literals` such as a password or
 * the value written) — and nothing else. Driver errors keep the command they failed on (ioredis `command.args`
 * holds the stored JSON), the connection options or the statement's parameters in fields a logger prints; this
 * copy carries none.
 */
export function sanitizeCause(error: unknown, literals: readonly (string | undefined)[] = []): Error {
  const source =
    typeof error === 'object' && error !== null ? (error as { name?: unknown; message?: unknown; code?: unknown }) : {}
  const message =
    typeof source.message === 'string' ? source.message : typeof error === 'string' ? error : 'unknown error'
  const cause = new Error(redactSecrets(message, { literals }))
  cause.name = typeof source.name === 'string' ? redactSecrets(source.name, { literals }) : 'Error'
  const code = source.code
  if (typeof code === 'string' || typeof code === 'number')
    Object.defineProperty(cause, 'code', { value: code, enumerable: true })
  // The stack would repeat the message unmasked and point into the driver: leave only our own line.
  cause.stack = `${cause.name}: ${cause.message}`
  return cause
}

/** Describes a value's type for an error message without printing the value itself. */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Why a sealed record did not open (`SealOpenError.reason`). */
export type SealOpenReason =
  /** The envelope names a key id the keyring does not hold (after one reload, for a key provider). */
  | 'unknown-key'
  /** AES-GCM refused it: moved under another storage key, a byte changed, or a different key under the same id. */
  | 'authentication'
  /** Not an envelope of a version this build reads (`ob` missing or unknown, fields not base64). */
  | 'malformed'
  /** A plain record (written before encryption was on) and `encryption.acceptPlain` is off. */
  | 'plain'

/**
 * `E_SEAL_OPEN_FAILED`: a record a tier holds could not be opened. Names the tier, the storage key and the key id
 * of the envelope (never the value, never key material). `durable` is true when the record's kind cannot be
 * fetched again: the bridge then surfaces the error instead of treating the record as a miss.
 */
export class SealOpenError extends BridgeError<'E_SEAL_OPEN_FAILED'> {
  override name = 'SealOpenError'
  readonly keyId: string | undefined
  readonly reason: SealOpenReason
  readonly storageKey: string
  readonly tier: string
  readonly durable: boolean

  constructor(details: {
    keyId: string | undefined
    reason: SealOpenReason
    storageKey: string
    tier: string
    durable: boolean
  }) {
    const { keyId, reason, storageKey, tier } = details
    const key = keyId === undefined ? 'no key id' : `key id ${JSON.stringify(keyId)}`
    super('E_SEAL_OPEN_FAILED', `the ${tier} tier's record of ${storageKey} did not open (${reason}, ${key})`, {
      field: 'encryption.keys',
    })
    this.keyId = keyId
    this.reason = reason
    this.storageKey = storageKey
    this.tier = tier
    this.durable = details.durable
  }
}
const sharedFailureBrand = errorBrand('shared-failure')

/**
 * A failed fetch another process of the deployment made (deployment-wide failure memory, `failureBackoff.shared`):
 * while its backoff window is open, callers of every process get this error instead of calling the platform again.
 * It is re-created from the small record that process wrote in the shared tier — the original error's `code`
 * (`E_FETCH_FAILED` when it had none), `errcode` and `category` when it had them, and its message, already masked
 * (`redactSecrets`) before it was written — never from a platform's raw reply. Recognise it by `code` (the
 * original's, e.g. `E_PLATFORM_API`) like the error it stands for, or by `isSharedFailureError`.
 */
export class SharedFailureError extends BridgeError<string> {
  override name = 'SharedFailureError'
  /** The platform's error code, when the original error had a numeric `errcode`. */
  readonly errcode: number | undefined
  /** The original error's `category` (`config`, `quota`, `transient`, …), if any. */
  readonly category: string | undefined
  /** When the shared backoff window ends (ms since the epoch). */
  readonly retryAt: number

  constructor(details: {
    code: string
    message: string
    errcode?: number | undefined
    category?: string | undefined
    retryAt: number
  }) {
    super(details.code, details.message)
    this.errcode = details.errcode
    this.category = details.category
    this.retryAt = details.retryAt
    sharedFailureBrand.mark(this)
  }

  override toJSON(): ReturnType<BridgeError<string>['toJSON']> & {
    errcode?: number
    category?: string
    retryAt: number
  } {
    return {
      ...super.toJSON(),
      ...(this.errcode === undefined ? {} : { errcode: this.errcode }),
      ...(this.category === undefined ? {} : { category: this.category }),
      retryAt: this.retryAt,
    }
  }
}

/** Is `error` a `SharedFailureError` (of any copy of core)? */
export function isSharedFailureError(error: unknown): error is SharedFailureError {
  return sharedFailureBrand.has(error)
}
