import { BridgeError, type BridgeErrorOptions, errorBrand } from '@open-bridge/core'

/**
 * The codes `@open-bridge/remote` throws itself. Stable: clients branch on them. Besides these, an error the
 * central server answered arrives with the centre's own `errCode` as its `code` (`E_UNKNOWN_APP`,
 * `E_PLATFORM_API`, …), so a business service sees what the centre saw.
 */
export type RemoteErrorCode =
  /** `remoteBridge()` options or a `signRequest` argument are malformed; `field` names it. */
  | 'E_INVALID_ARGUMENT'
  /** The centre could not be reached, dropped the connection, did not answer in time, or answered 5xx without a body we know. */
  | 'E_REMOTE_UNAVAILABLE'
  /** The centre refused the request signature (401) or the client IP (403): check `secret` and the clock. */
  | 'E_REMOTE_UNAUTHORIZED'
  /** The centre answered something that is not an open-bridge answer (not JSON, wrong shape). */
  | 'E_REMOTE_PROTOCOL'
  /**
   * The centre's answer is larger than `maxBodyBytes` (by its `Content-Length` or counted as it arrived): it was
   * cut there, its socket closed, and nothing of it used or cached. `field` is `maxBodyBytes`.
   */
  | 'E_REMOTE_TOO_LARGE'

export interface RemoteErrorOptions extends BridgeErrorOptions {
  /** The HTTP status the centre answered, when it answered. */
  status?: number | undefined
  /** The route called, e.g. `/getAccessToken` (never a query, never a header). */
  route?: string | undefined
  /** For a platform error passed through: the platform's errcode and its category. */
  platformErrcode?: number | undefined
  category?: string | undefined
}

const brand = errorBrand('remote-error')

/**
 * Every error this package throws. Messages name the route and the status, never the secret, a signature or
 * a credential. `code` is a `RemoteErrorCode` or an `errCode` the centre answered.
 */
export class RemoteError extends BridgeError<RemoteErrorCode | (string & {})> {
  override name = 'RemoteError'
  readonly status: number | undefined
  readonly route: string | undefined
  readonly platformErrcode: number | undefined
  readonly category: string | undefined

  constructor(code: RemoteErrorCode | (string & {}), message: string, options: RemoteErrorOptions = {}) {
    super(code, message, options)
    this.status = options.status
    this.route = options.route
    this.platformErrcode = options.platformErrcode
    this.category = options.category
    brand.mark(this)
  }

  override toJSON(): ReturnType<BridgeError<string>['toJSON']> & {
    status?: number
    route?: string
    platformErrcode?: number
    category?: string
  } {
    return {
      ...super.toJSON(),
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.route !== undefined ? { route: this.route } : {}),
      ...(this.platformErrcode !== undefined ? { platformErrcode: this.platformErrcode } : {}),
      ...(this.category !== undefined ? { category: this.category } : {}),
    }
  }
}

/** Is `error` one of this package's errors (from any copy of it: read by brand), optionally with the given code? */
export function isRemoteError(error: unknown, code?: RemoteErrorCode | (string & {})): error is RemoteError {
  return brand.has(error, code)
}

export function invalidArgument(field: string, message: string): RemoteError {
  return new RemoteError('E_INVALID_ARGUMENT', `${field} ${message}`, { field })
}
