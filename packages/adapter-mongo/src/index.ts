export { mongoStore } from './mongo-store.js'
export type { MongoStoreDbOptions, MongoStoreOptions, MongoStoreUrlOptions } from './options.js'
export { MongoStoreError, type MongoStoreErrorCode } from './errors.js'
