export { everyRendering, runStoreContract, type FailingStore, type StoreContractOptions } from './store-contract.js'
