import { BridgeError } from '@open-bridge/core'

/** The codes `@open-bridge/adapter-redis` throws. */
export type RedisStoreErrorCode =
  /** `redisStore` options are malformed; `field` names the option. */
  | 'E_INVALID_CONFIG'
  /** A key holds something that is not the JSON of a value object; `field` names the storage key. */
  | 'E_REDIS_CORRUPT_RECORD'

/** Every error this package throws on purpose. Messages never hold a URL (it may carry a password) or a value. */
export class RedisStoreError extends BridgeError<RedisStoreErrorCode> {
  override name = 'RedisStoreError'
}
