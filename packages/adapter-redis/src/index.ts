export { redisStore } from './redis-store.js'
export type {
  RedisStoreClientOptions,
  RedisStoreCommonOptions,
  RedisStoreOptions,
  RedisStoreUrlOptions,
} from './options.js'
export { RedisStoreError, type RedisStoreErrorCode } from './errors.js'
