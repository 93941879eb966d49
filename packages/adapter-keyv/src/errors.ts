import { BridgeError, sanitizeCause } from '@open-bridge/core'

/** The codes `@open-bridge/adapter-keyv` throws. */
export type KeyvStoreErrorCode =
  /** `keyvStore` was given something that is not a Keyv instance, or a malformed option; `field` names it. */
  | 'E_INVALID_CONFIG'
  /** Keyv reported that its store did not take a write (`keyv.set` resolved `false`). */
  | 'E_KEYV_WRITE_FAILED'
  /** The key holds something that is not a `{ value, expiresAt }` record (another application's entry?). */
  | 'E_KEYV_CORRUPT_RECORD'
  /** Keyv (with `throwOnErrors`) or its store threw; the sanitised cause keeps the driver's name, code and masked message. */
  | 'E_KEYV_FAILED'

/**
 * Every error this package throws, on purpose or passed on from Keyv and its store. Messages never hold a
 * credential; a driver error travels only as a sanitised `cause` (its command arguments and values dropped).
 */
export class KeyvStoreError extends BridgeError<KeyvStoreErrorCode> {
  override name = 'KeyvStoreError'
}

/** Wraps what Keyv or its store threw; `literals` (the values written) are masked from the message. */
export function keyvFailure(operation: string, error: unknown, literals: readonly string[] = []): KeyvStoreError {
  if (error instanceof KeyvStoreError) return error
  const cause = sanitizeCause(error, literals)
  return new KeyvStoreError('E_KEYV_FAILED', `keyv ${operation} failed (${cause.name})`, { cause })
}

/** The error for a malformed `keyvStore` option: `E_INVALID_CONFIG`, `field` naming it. */
export function invalidConfig(field: string, message: string): KeyvStoreError {
  return new KeyvStoreError('E_INVALID_CONFIG', message, { field })
}
