import { BridgeError, type BridgeErrorOptions, errorBrand } from '@open-bridge/core'

/**
 * The codes this package throws itself. Everything else passes through as it is: core's (`E_INVALID_KEY`, …),
 * the server config loader's (`E_INVALID_CONFIG`, `E_CONFIG_FILE`) and the platform's. Stable; add at the end.
 */
export type UniCommonErrorCode =
  /** No config file and no uni-config-center directory was found; the message lists every place looked at. */
  | 'E_NO_CONFIG'
  /** `configure(options)` was given something it cannot use; `field` names it. */
  | 'E_INVALID_OPTIONS'
  /** `OPEN_BRIDGE_STORES` is set but names no store; `field` is the variable. */
  | 'E_INVALID_ENV'
  /** A part of the original's surface open-bridge does not run (`WeixinServer`'s helpers); the message names the way. */
  | 'E_UNSUPPORTED'

const brand = errorBrand('uni-common-error')

/** Every error this package throws on purpose. Messages name files, fields and variables, never a secret. */
export class UniCommonError extends BridgeError<UniCommonErrorCode> {
  override name = 'UniCommonError'

  constructor(code: UniCommonErrorCode, message: string, options: BridgeErrorOptions = {}) {
    super(code, message, options)
    brand.mark(this)
  }
}

/** Is `error` a `UniCommonError` (read by brand, not `instanceof`: ESM and CJS copies may both be loaded)? */
export function isUniCommonError(error: unknown, code?: UniCommonErrorCode): error is UniCommonError {
  return brand.has(error, code)
}

/** What a value is, for messages: its type, never its content (it may be a secret). */
export function describeTypeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
