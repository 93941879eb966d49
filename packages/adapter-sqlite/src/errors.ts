import { BridgeError } from '@open-bridge/core'

/** The codes `@open-bridge/adapter-sqlite` throws. */
export type SqliteStoreErrorCode =
  /** `sqliteStore` options are malformed; `field` names the option. */
  | 'E_INVALID_CONFIG'
  /** A row does not hold the JSON of a value object; `field` names the storage key. */
  | 'E_SQLITE_CORRUPT_RECORD'

/** Every error this package throws on purpose. Messages never hold a credential value. */
export class SqliteStoreError extends BridgeError<SqliteStoreErrorCode> {
  override name = 'SqliteStoreError'
}
