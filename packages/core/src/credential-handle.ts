import type { RefreshOptions } from './bridge.js'

/**
 * `bridge.credential(kind)`: the generic methods bound to one kind, typed by its key and value. For a registered
 * kind (`registerKind`) this is how it is read and written; for a built-in kind it is the same as
 * `bridge.get(kind, …)` and the others.
 */
export interface CredentialHandle<Key extends object, Value extends object> {
  /** The kind's name. */
  readonly kind: string
  /** As `bridge.get`: the nearest live copy, else the source (never for a pushed kind: `E_PUSHED_MISSING`). */
  get(key: Key): Promise<Value | null>
  /** As `bridge.set`; for a durable kind it resolves only once a persistent tier holds the value. */
  set(key: Key, value: Value, expiresIn?: number): Promise<void>
  /** As `bridge.remove`. */
  remove(key: Key): Promise<void>
  /** As `bridge.refresh` (compare-and-refresh through the source). */
  refresh(key: Key, options?: RefreshOptions): Promise<Value | null>
}
