import { BridgeError } from '../errors.js'
import type { CredentialStore } from '../store.js'

/** What both contracts need to make and drop a store, and how coarse its clock is. */
export interface ContractStoreOptions {
  /** Makes a store for one test. Keys are unique per test, so the store need not be empty. */
  create: () => CredentialStore | Promise<CredentialStore>
  /** Runs after each test, after `store.close()` (drop a database file, flush a Redis db, …). */
  destroy?: (store: CredentialStore) => void | Promise<void>
  /**
   * How late, in ms, the store may drop a record or a lock past its expiry: `0` (default) for a store that
   * keeps milliseconds, `1000` for one whose TTLs are whole seconds. The expiry tests wait this much longer.
   */
  ttlResolution?: number
}

export interface StoreContractOptions extends ContractStoreOptions {
  /**
   * Does the store offer a lock (`store.lock`)? `true`: the lock contract runs as the `lock` groups.
   * `false` or absent: they are listed as not run, with the reason, and the store must have no `lock`.
   */
  lock?: boolean
  /**
   * Does the store offer `compareAndSet` (the fence of writes under its lock)? `true`: the compare-and-set groups
   * run. `false` or absent: they are listed as not run, and the store must have no `compareAndSet`.
   */
  compareAndSet?: boolean
  /**
   * Does the store offer `watch` (write notices: Redis pub/sub)? `true`: the watch groups run, with a second store
   * from `create` as the writer (so two stores made by `create` must share the backend). `false` or absent: they
   * are listed as not run, and the store must have no `watch`.
   */
  watch?: boolean
  /**
   * Makes a store whose backend refuses (server down or read-only, file locked, a store that throws), so the
   * error cases run: every rejection must be an open-bridge error whose `inspect` / JSON / stack carry neither
   * the value written nor any of `secrets` (a connection password). `false` declares a store that cannot fail;
   * absent: the error cases are listed as not run. `chaosStore(store).chaos.fail()` is one way to make one,
   * when the store's own errors are what is tested.
   */
  failing?: (() => FailingStore | Promise<FailingStore>) | false
}

/** Options of `lockContract` on its own: the store it makes must have a `lock`. */
export type LockContractOptions = ContractStoreOptions

export interface FailingStore {
  store: CredentialStore
  /** Strings that must never show in an error (a password in the URL, …). */
  secrets?: string[]
  /** Runs after the test, after `store.close()`. */
  cleanup?: () => void | Promise<void>
}

/** The options after checking, with defaults filled in. */
export interface CheckedContractOptions {
  create: ContractStoreOptions['create']
  destroy: ContractStoreOptions['destroy']
  ttlResolution: number
}

/** Checks the options shared by both contracts; a mistake fails at collection, naming the field. */
export function checkContractOptions(contract: string, name: unknown, options: unknown): CheckedContractOptions {
  if (typeof name !== 'string' || name.length === 0) throw invalid(contract, 'name', 'must be a non-empty string')
  if (typeof options !== 'object' || options === null) throw invalid(contract, 'options', 'must be an object')
  const { create, destroy, ttlResolution = 0 } = options as Partial<ContractStoreOptions>
  if (typeof create !== 'function') throw invalid(contract, 'create', 'must be a function that makes a store')
  if (destroy !== undefined && typeof destroy !== 'function') throw invalid(contract, 'destroy', 'must be a function')
  if (typeof ttlResolution !== 'number' || !Number.isInteger(ttlResolution) || ttlResolution < 0)
    throw invalid(contract, 'ttlResolution', 'must be a whole number of milliseconds, 0 or more')
  return { create, destroy, ttlResolution }
}

export function invalid(contract: string, field: string, problem: string): BridgeError {
  return new BridgeError('E_INVALID_CONFIG', `${contract}: ${field} ${problem}`, { field })
}

let run = 0

/** A key prefix no other test (of this process or another one on the same backend) uses. */
export function uniquePrefix(label: string): string {
  return `uni-id:weixin-mp:${label}${process.pid}x${++run}x${Math.random().toString(36).slice(2, 8)}`
}
