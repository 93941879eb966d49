import type { CredentialKind } from './credentials.js'

/** The events a bridge emits. Payloads carry names and storage keys, never a credential value or a secret. */
export interface BridgeEvents {
  /** A tier threw; the call went on with the next tier. */
  'tier-error': { tier: string; operation: 'get' | 'set' | 'delete' | 'close'; storageKey: string | undefined; error: unknown }
  /** A fallback or source produced a credential. */
  fetch: { kind: CredentialKind; storageKey: string; by: 'fallback' | 'source'; durationMs: number }
  /** A fallback or source failed; every waiter of that fetch receives the error and nothing is cached. */
  'fetch-error': { kind: CredentialKind; storageKey: string; by: 'fallback' | 'source'; durationMs: number; error: unknown }
}
export type BridgeEventName = keyof BridgeEvents
export type BridgeListener<E extends BridgeEventName> = (payload: BridgeEvents[E]) => void

/**
 * A tiny typed emitter. `has` lets callers skip building a payload nobody listens to.
 * A listener that throws is ignored: observers must not break credential reads.
 */
export class EventHub {
  readonly #listeners = new Map<BridgeEventName, Set<(payload: never) => void>>()

  on<E extends BridgeEventName>(event: E, listener: BridgeListener<E>): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => this.off(event, listener)
  }

  off<E extends BridgeEventName>(event: E, listener: BridgeListener<E>): void {
    const set = this.#listeners.get(event)
    if (!set) return
    set.delete(listener)
    if (set.size === 0) this.#listeners.delete(event)
  }

  has(event: BridgeEventName): boolean {
    return this.#listeners.has(event)
  }

  emit<E extends BridgeEventName>(event: E, payload: BridgeEvents[E]): void {
    const set = this.#listeners.get(event)
    if (!set) return
    for (const listener of [...set] as BridgeListener<E>[]) {
      try {
        listener(payload)
      } catch {
        // Deliberately ignored; see the class comment.
      }
    }
  }
}
