export { mongoStore } from './mongo-store.js'
export type {
  MongoStoreCommonOptions,
  MongoStoreDbOptions,
  MongoStoreOptions,
  MongoStoreUrlOptions,
} from './options.js'
export { MongoStoreError, type MongoStoreErrorCode } from './errors.js'
