export { keyvStore, type KeyvStoreOptions } from './keyv-store.js'
export { KeyvStoreError, type KeyvStoreErrorCode } from './errors.js'
