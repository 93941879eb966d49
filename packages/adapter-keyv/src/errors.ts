import { BridgeError } from '@open-bridge/core'

/** The codes `@open-bridge/adapter-keyv` throws. */
export type KeyvStoreErrorCode =
  /** `keyvStore` was given something that is not a Keyv instance, or a malformed option; `field` names it. */
  | 'E_INVALID_CONFIG'
  /** Keyv reported that its store did not take a write (`keyv.set` resolved `false`). */
  | 'E_KEYV_WRITE_FAILED'
  /** The key holds something that is not a `{ value, expiresAt }` record (another application's entry?). */
  | 'E_KEYV_CORRUPT_RECORD'

/** Every error this package throws on purpose. Messages never hold a credential. */
export class KeyvStoreError extends BridgeError<KeyvStoreErrorCode> {
  override name = 'KeyvStoreError'
}
