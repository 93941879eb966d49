/**
 * Every error open-bridge throws on purpose is a `BridgeError` with a stable `code`.
 * Messages name the offending field, never a value that could be a secret.
 * Other packages extend `BridgeError` with codes of their own, so `instanceof BridgeError` catches all.
 */

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
  /** `refresh` was called on a bridge without a source: nothing could fetch a new credential. */
  | 'E_NO_SOURCE'
  /** `withCredential` found no credential for the key (nothing stored and nothing could fetch one). */
  | 'E_NO_CREDENTIAL'

export interface BridgeErrorOptions {
  /** The field at fault, e.g. `key.openid` or `apps[1].appid`. */
  field?: string
  cause?: unknown
}

export class BridgeError<Code extends string = CoreErrorCode> extends Error {
  override name = 'BridgeError'
  readonly code: Code
  readonly field: string | undefined

  constructor(code: Code, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.field = options.field
  }

  /** What `JSON.stringify` shows: the code, the message and the field, nothing else. */
  toJSON(): { name: string; code: Code; message: string; field?: string } {
    return { name: this.name, code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) }
  }
}

/** Is `error` a `BridgeError` (of any open-bridge package), optionally with the given code? */
export function isBridgeError<Code extends string = CoreErrorCode>(error: unknown, code?: Code): error is BridgeError<Code> {
  return error instanceof BridgeError && (code === undefined || error.code === code)
}

/** Describes a value's type for an error message without printing the value itself. */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
