import { BridgeError, type BridgeErrorOptions, errorBrand } from '@open-bridge/core'

/**
 * The codes `@open-bridge/server` throws, and the `errCode`s its HTTP answers carry besides the codes of
 * core and wechat-fetchers (which pass through as they are). Stable: clients branch on them.
 * Add codes at the end of a group; never rename one.
 */
export type ServerErrorCode =
  // ── configuration (thrown by buildApp / assertSafeExposure, before anything listens) ──
  /** `buildApp` options are malformed (an allow-list entry that is not an IP or CIDR, a short secret, …); `field` names it. */
  | 'E_INVALID_CONFIG'
  /** Asked to listen on a non-loopback address with neither an IP allow-list nor a signing secret. */
  | 'E_UNSAFE_EXPOSURE'
  /** The config file (or a uni-config-center file) cannot be found, read or parsed; `field` names the file. */
  | 'E_CONFIG_FILE'
  // ── HTTP answers ──
  /** 400: the body failed its JSON schema; `errMsg` names the field. */
  | 'E_INVALID_BODY'
  /** 400: the body is not JSON, or holds `__proto__` / `constructor` / `prototype` keys. */
  | 'E_INVALID_JSON'
  /** 400: the request is malformed in a way fastify refuses before the route (bad URL, bad Content-Length, …). */
  | 'E_BAD_REQUEST'
  /** 401: the request signature is missing, malformed, outside the time window, replayed or wrong. */
  | 'E_UNAUTHORIZED'
  /** 403: the client IP is not in the allow-list. */
  | 'E_FORBIDDEN'
  /** 404: no route has this path. */
  | 'E_NOT_FOUND'
  /** 405: the path exists, with another method (see the `Allow` header). */
  | 'E_METHOD_NOT_ALLOWED'
  /** 413: the body is larger than `bodyLimit`. */
  | 'E_BODY_TOO_LARGE'
  /** 415: the body is not `application/json`. */
  | 'E_UNSUPPORTED_MEDIA_TYPE'
  /** 503: the replay cache is full of live nonces (a flood of validly signed requests); retry shortly. */
  | 'E_REPLAY_CACHE_FULL'
  /** 500: an error nobody expected; details are in the log, never in the answer. */
  | 'E_INTERNAL'
  /** 503: the server is closing; a request that arrived on a kept-alive connection is refused (retry elsewhere). */
  | 'E_SHUTTING_DOWN'
  /** 421: the `Host` header names no host this service answers to (`server.allowedHosts`; DNS rebinding). */
  | 'E_HOST_NOT_ALLOWED'
  /** 400: `redirect_uri` of the Open Platform authorize / callback routes is missing, malformed or on an origin not allowed. */
  | 'E_INVALID_REDIRECT'
  /** 404: the authorize route of a component without `publicUrl` (the callback WeChat must redirect to is unknown). */
  | 'E_AUTHORIZE_NOT_CONFIGURED'
  /** 404: the Open Platform routes' `<componentAppid>` names no configured third-party platform (`openPlatform`). */
  | 'E_UNKNOWN_COMPONENT'
  /** 404: `POST /kinds/<kind>/…` names no registered kind (a built-in kind has its own routes, `/getAccessToken`, …). */
  | 'E_UNKNOWN_KIND'
  /**
   * 403: `POST /kinds/<kind>/…` names a durable or pushed kind (a permanent code, a refresh token, a pushed ticket, an
   * authorisation pointer): the deployment's roots, which cannot be fetched again, never travel over HTTP.
   */
  | 'E_KIND_NOT_SERVED'
  // ── the open-bridge CLI (get / set / remove / refresh / doctor; see the README's CLI section for exit codes) ──
  /** Bad command-line arguments: an unknown command, option or kind, a missing key field, `--value` not a JSON object. */
  | 'E_USAGE'
  /** `--remote`: the central service could not be reached (refused, reset, DNS) or did not answer in time. */
  | 'E_UNREACHABLE'
  /** `--remote`: the central service answered something that is not its JSON (a proxy's error page, a wrong URL). */
  | 'E_REMOTE_ANSWER'
  /** `doctor --remote`: this machine's clock is too far from the server's for signed requests (±5 min window). */
  | 'E_CLOCK_SKEW'
  /** quota / clear-quota / rid: `<app>` names no configured WeChat app (by appid or dcloudAppid, on `--platform`). */
  | 'E_UNKNOWN_APP'
  /** clear-quota: the reset was not confirmed (answer other than `yes`, or no answer): nothing was sent. */
  | 'E_NOT_CONFIRMED'
  /** export / copy / rekey: the store cannot list its keys (only Redis and SQLite stores can today). */
  | 'E_STORE_CANNOT_LIST'

export interface ServerErrorOptions extends BridgeErrorOptions {
  /** The HTTP status this error answers with, when it reaches a route's caller. */
  statusCode?: number
}

const brand = errorBrand('server-error')

/** Every error this package throws on purpose. Messages name fields, never a secret or a credential. */
export class ServerError extends BridgeError<ServerErrorCode> {
  override name = 'ServerError'
  readonly statusCode: number | undefined

  constructor(code: ServerErrorCode, message: string, options: ServerErrorOptions = {}) {
    super(code, message, options)
    this.statusCode = options.statusCode
    brand.mark(this)
  }
}

/** The error for a malformed config entry: `E_INVALID_CONFIG`, message `<field> <why>`, `field` naming it. */
export function invalidConfig(field: string, why: string): ServerError {
  return new ServerError('E_INVALID_CONFIG', `${field} ${why}`, { field })
}

/** Is `error` a `ServerError` (read by brand, not `instanceof`: ESM and CJS copies may both be loaded)? */
export function isServerError(error: unknown, code?: ServerErrorCode): error is ServerError {
  return brand.has(error, code)
}
