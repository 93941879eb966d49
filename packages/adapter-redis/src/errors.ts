import { BridgeError, sanitizeCause } from '@open-bridge/core'

/** The codes `@open-bridge/adapter-redis` throws. */
export type RedisStoreErrorCode =
  /** `redisStore` options are malformed; `field` names the option (`url.port`, `url.db`, `socketTimeout`, …). */
  | 'E_INVALID_CONFIG'
  /** A key holds something that is not the JSON of a value object; `field` names the storage key. */
  | 'E_REDIS_CORRUPT_RECORD'
  /** Redis refused the connection's credentials (`NOAUTH`, `WRONGPASS`): "authentication failed". */
  | 'E_REDIS_AUTH'
  /** Redis refused the command: a read-only replica (`READONLY`), out of memory (`OOM`), an ACL (`NOPERM`), … */
  | 'E_REDIS_REFUSED'
  /** Redis could not be reached or the connection dropped or timed out. */
  | 'E_REDIS_UNAVAILABLE'

/**
 * Every error this package throws, on purpose or passed on from ioredis. Messages never hold a URL (it may carry
 * a password) or a value; a driver error travels only as a sanitised `cause` (name, code, masked message).
 */
export class RedisStoreError extends BridgeError<RedisStoreErrorCode> {
  override name = 'RedisStoreError'
}

/** The error for a malformed `redisStore` option: `E_INVALID_CONFIG`, `field` naming it (`url.port`, …). */
export function invalidConfig(field: string, message: string): RedisStoreError {
  return new RedisStoreError('E_INVALID_CONFIG', message, { field })
}

const AUTH_CODES = /^(NOAUTH|WRONGPASS)\b|invalid password|invalid username-password/i

/**
 * Turns whatever ioredis threw into a `RedisStoreError`. `literals` are masked from the driver's message (the
 * password, the value written); ioredis' `command.args` (which holds the stored JSON) is never carried.
 * `lastConnectionError` is the latest error of the connection itself: a command that failed because the
 * connection is not ready fails for *that* reason (wrong password, refused port).
 */
export function redisFailure(
  operation: string,
  error: unknown,
  literals: readonly string[],
  lastConnectionError?: unknown,
): RedisStoreError {
  if (error instanceof RedisStoreError) return error
  const reason = isNotReady(error) && lastConnectionError !== undefined ? lastConnectionError : error
  const cause = sanitizeCause(reason, literals)
  const text = cause.message
  if (AUTH_CODES.test(text)) {
    return new RedisStoreError(
      'E_REDIS_AUTH',
      `redis ${operation} failed: authentication failed (check the user and password of the connection)`,
      {
        cause,
      },
    )
  }
  if (isReplyError(reason)) {
    const word = /^[A-Z]+/.exec(text)?.[0] ?? 'ERR'
    return new RedisStoreError('E_REDIS_REFUSED', `redis ${operation} refused by the server (${word})`, { cause })
  }
  return new RedisStoreError(
    'E_REDIS_UNAVAILABLE',
    `redis ${operation} failed: the server is unreachable or the connection dropped`,
    { cause },
  )
}

function isReplyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'ReplyError'
}

/** ioredis' refusal of a command sent while the connection is down (no offline queue). */
function isNotReady(error: unknown): boolean {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined
  return typeof message === 'string' && /Stream isn't writeable|Connection is closed/.test(message)
}
