import { BridgeError, sanitizeCause } from '@open-bridge/core'

/** The codes `@open-bridge/adapter-mongo` throws. */
export type MongoStoreErrorCode =
  /** `mongoStore` options are malformed; `field` names the option. */
  | 'E_INVALID_CONFIG'
  /** A stored document is in neither the layout this store writes nor uni-open-bridge's; `field` names the part at fault. */
  | 'E_MONGO_CORRUPT_RECORD'
  /** The server could not be reached in time (connect / server selection), or the store is backing off before reconnecting. */
  | 'E_MONGO_UNAVAILABLE'
  /** The server refused the connection's credentials. */
  | 'E_MONGO_AUTH'
  /** The server refused or failed the operation otherwise; the sanitised cause carries the driver's name and code. */
  | 'E_MONGO_FAILED'

/**
 * Every error this package throws, on purpose or passed on from the driver. Messages never hold a connection
 * string or a credential; a driver error travels only as a sanitised `cause` (name, code, masked message).
 */
export class MongoStoreError extends BridgeError<MongoStoreErrorCode> {
  override name = 'MongoStoreError'
}

/** The error for a malformed `mongoStore` option: `E_INVALID_CONFIG`, `field` naming it (`url.port`, …). */
export function invalidConfig(field: string, message: string): MongoStoreError {
  return new MongoStoreError('E_INVALID_CONFIG', message, { field })
}

/**
 * MongoDB's duplicate-key error (11000). Checked by code, not `instanceof`, so a `Db` from another copy of
 * the driver is recognised too.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000
}

const UNAVAILABLE = /^Mongo(ServerSelection|Network|NetworkTimeout|TopologyClosed|NotConnected)Error$/

/** Turns a driver error into a `MongoStoreError`; `literals` (password, values written) are masked from its message. */
export function mongoFailure(operation: string, error: unknown, literals: readonly string[]): MongoStoreError {
  if (error instanceof MongoStoreError) return error
  const cause = sanitizeCause(error, literals)
  const code = (error as { code?: unknown } | null)?.code
  // 18: AuthenticationFailed.
  if (code === 18 || /authentication failed/i.test(cause.message)) {
    return new MongoStoreError(
      'E_MONGO_AUTH',
      `mongo ${operation} failed: authentication failed (check the user and password of the url)`,
      { cause },
    )
  }
  if (UNAVAILABLE.test(cause.name)) {
    return new MongoStoreError(
      'E_MONGO_UNAVAILABLE',
      `mongo ${operation} failed: the server is unreachable (${cause.name})`,
      { cause },
    )
  }
  return new MongoStoreError(
    'E_MONGO_FAILED',
    `mongo ${operation} failed (${cause.name}${typeof code === 'number' || typeof code === 'string' ? ` ${code}` : ''})`,
    {
      cause,
    },
  )
}
