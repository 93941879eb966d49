import type { CredentialStore } from './store.js'

/** Marks a tier that lives in the process (the memory tier): encryption at rest leaves it plain. */
const IN_PROCESS = Symbol.for('open-bridge.in-process-store')

/** Marks `store` as held in this process's memory only (non-enumerable: inspect and JSON stay as they were). */
export function markInProcess<S extends CredentialStore>(store: S): S {
  Object.defineProperty(store, IN_PROCESS, { value: true })
  return store
}

/** Is `store` a tier held in this process's memory (any copy of core's `memoryStore`)? */
export function isInProcessStore(store: CredentialStore): boolean {
  return (store as unknown as Record<symbol, unknown>)[IN_PROCESS] === true
}
