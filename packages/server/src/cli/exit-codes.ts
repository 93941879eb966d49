/**
 * The `open-bridge` CLI's exit codes. Stable: scripts branch on them (see the README's CLI section).
 * `serve` keeps its own historical pair: 1 when it cannot start (config included), 2 for bad usage.
 */
export const EXIT = {
  ok: 0,
  /** The operation failed: the platform refused, the service answered an error, a bug. */
  failed: 1,
  /** Bad arguments: unknown command, option or kind; a key, value or expiry the bridge refuses. */
  usage: 2,
  /** The configuration is wrong or does not know this app (a config error, an unknown dcloudAppid, no source). */
  config: 3,
  /** Something could not be reached: a store tier, the remote service, the platform. */
  unreachable: 4,
  /** The remote service refused us: signature (or clock), or IP allow-list. */
  refused: 5,
  /** `get` found nothing held (and nothing could fetch it); `refresh` had nothing to refresh. */
  notFound: 6,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

const BY_CODE: Record<string, ExitCode> = {
  E_USAGE: EXIT.usage,
  E_INVALID_KEY: EXIT.usage,
  E_INVALID_VALUE: EXIT.usage,
  E_INVALID_EXPIRES: EXIT.usage,
  E_INVALID_BODY: EXIT.usage,
  E_INVALID_JSON: EXIT.usage,
  // wechat-fetchers' malformed argument (quota --api, rid <rid>), refused before any platform call.
  E_INVALID_ARGUMENT: EXIT.usage,
  // --remote on a kind the service has no route for (not registered there), or never serves (durable, pushed).
  E_UNKNOWN_KIND: EXIT.usage,
  E_KIND_NOT_SERVED: EXIT.usage,
  // An unknown dcloudAppid (core), or a quota / clear-quota / rid <app> no configured WeChat app is.
  E_UNKNOWN_APP: EXIT.config,
  E_INVALID_CONFIG: EXIT.config,
  E_CONFIG_FILE: EXIT.config,
  E_UNSAFE_EXPOSURE: EXIT.config,
  E_NO_SOURCE: EXIT.config,
  E_UNREACHABLE: EXIT.unreachable,
  E_STORE_UNAVAILABLE: EXIT.unreachable,
  E_HTTP: EXIT.unreachable,
  E_FETCH_TIMEOUT: EXIT.unreachable,
  E_TIMEOUT: EXIT.unreachable,
  E_UNAUTHORIZED: EXIT.refused,
  E_FORBIDDEN: EXIT.refused,
  E_CLOCK_SKEW: EXIT.refused,
  // Not held, and the source cannot fetch it for this app (no secret, or not configured for the platform).
  E_APP_NOT_CONFIGURED: EXIT.notFound,
  E_NO_CREDENTIAL: EXIT.notFound,
  E_ENCRYPT_KEY_VERSION_MISSING: EXIT.notFound,
  E_SESSION_KEY_MISSING: EXIT.notFound,
}

/** The exit code for an error code (ours, core's, wechat-fetchers', or one the remote service answered). */
export function exitCodeOf(code: string): ExitCode {
  return BY_CODE[code] ?? EXIT.failed
}
