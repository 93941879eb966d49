export { sqliteStore } from './sqlite-store.js'
export type { SqliteStoreOptions } from './options.js'
export { SqliteStoreError, type SqliteStoreErrorCode } from './errors.js'
