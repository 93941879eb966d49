import { BridgeError } from '@open-bridge/core'

/** The codes `@open-bridge/adapter-mongo` throws. */
export type MongoStoreErrorCode =
  /** `mongoStore` options are malformed; `field` names the option. */
  | 'E_INVALID_CONFIG'
  /** A stored document is in neither the layout this store writes nor uni-open-bridge's; `field` names the part at fault. */
  | 'E_MONGO_CORRUPT_RECORD'

/** Every error this package throws on purpose. Messages never hold a connection string or a credential. */
export class MongoStoreError extends BridgeError<MongoStoreErrorCode> {
  override name = 'MongoStoreError'
}

/**
 * MongoDB's duplicate-key error (11000). Checked by code, not `instanceof`, so a `Db` from another copy of
 * the driver is recognised too.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000
}
