export { redisStore } from './redis-store.js'
export type { RedisStoreClientOptions, RedisStoreOptions, RedisStoreUrlOptions } from './options.js'
export { RedisStoreError, type RedisStoreErrorCode } from './errors.js'
