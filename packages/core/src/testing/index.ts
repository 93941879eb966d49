export { runStoreContract } from './store-contract.js'
export { lockContract } from './lock-contract.js'
export type {
  ContractStoreOptions,
  FailingStore,
  LockContractOptions,
  StoreContractOptions,
} from './contract-options.js'
export {
  chaosStore,
  type ChaosController,
  type ChaosCountedOperation,
  type ChaosDelayOptions,
  type ChaosErrorCode,
  type ChaosFailOptions,
  type ChaosHangOptions,
  type ChaosOperation,
  type ChaosOperations,
  type ChaosStore,
  type ChaosStoreOptions,
} from './chaos-store.js'
export { everyRendering } from './every-rendering.js'
