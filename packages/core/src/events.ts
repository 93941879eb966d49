import type { CredentialKind } from './credentials.js'
import type { SealOpenReason } from './errors.js'

/** Why a source or fallback is called: nothing live was stored, the stored one is near its end, or it was rejected. */
export type RefreshReason = 'miss' | 'refresh-ahead' | 'rejected'

/** The events a bridge emits. Payloads carry names and storage keys, never a credential value or a secret. */
export interface BridgeEvents {
  /** A tier threw; the call went on with the next tier (for `lock`: with in-process single-flight only). */
  'tier-error': {
    tier: string
    operation: 'get' | 'set' | 'delete' | 'close' | 'lock'
    storageKey: string | undefined
    error: unknown
  }
  /**
   * This process held the refresh lock of the key, fetched, and found when writing that its lease had lapsed and
   * the shared record was no longer the one it saw (another holder wrote meanwhile — a pause, a long GC, a blocked
   * event loop): its write was refused. Its callers got `served`: the stored record, or its own answer when that
   * was certainly at least as new (see the README, "Fencing the refresh lock").
   */
  'lease-lost': {
    kind: CredentialKind
    storageKey: string
    tier: string
    reason: RefreshReason
    served: 'stored' | 'own'
  }
  /**
   * A sealed record (encryption at rest) did not open: read as a miss when its kind can be fetched again, else
   * (`surfaced`) the read fails with `E_SEAL_OPEN_FAILED`. Names the key id, never the value.
   */
  'seal-open-failed': {
    tier: string
    storageKey: string
    keyId: string | undefined
    reason: SealOpenReason
    surfaced: boolean
  }
  /** A tier's circuit breaker is open: the operation was not sent to it (reads went to the next tier). */
  'tier-skipped': { tier: string; operation: 'get' | 'set' | 'delete' | 'lock'; storageKey: string }
  /** A fallback or source produced a credential (or `null`). */
  fetch: {
    kind: CredentialKind
    storageKey: string
    by: 'fallback' | 'source'
    reason: RefreshReason
    durationMs: number
  }
  /** A fallback or source failed; every waiter of that fetch receives the error and nothing is cached. */
  'fetch-error': {
    kind: CredentialKind
    storageKey: string
    by: 'fallback' | 'source'
    reason: RefreshReason
    durationMs: number
    error: unknown
  }
  /**
   * This process waited for another process's refresh of the key, and how that ended: the value came, the wait
   * timed out, this process took the lock, or (`failure`) the other process's fetch failed and its error, shared
   * deployment-wide, answered the waiters.
   */
  wait: {
    kind: CredentialKind
    storageKey: string
    durationMs: number
    outcome: 'value' | 'timeout' | 'took-lock' | 'failure'
  }
  /** The refresh lock of the key was held by another process when this one asked for it. */
  'lock-contention': { kind: CredentialKind; storageKey: string; tier: string }
  /** A hit had less than `refreshAhead` left: the caller got it at once and a background refresh started. */
  'refresh-ahead': { kind: CredentialKind; storageKey: string; remainingMs: number }
  /**
   * The key's next fetch waits `retryInMs`: a fetch failed (`cause: 'error'`; callers without a fallback get the
   * same error until then) or brought nothing fresher than the stored credential (`cause: 'no-fresher'`).
   */
  backoff: {
    kind: CredentialKind
    storageKey: string
    retryInMs: number
    cause: 'error' | 'no-fresher'
    category: string | undefined
  }
  /** A tier failed `breaker.failures` times in a row: it is skipped for `breaker.cooldown` ms, then probed. */
  'breaker-open': { tier: string }
  /** A probe of a skipped tier succeeded: it is used again. */
  'breaker-close': { tier: string }
}
export type BridgeEventName = keyof BridgeEvents
/** A listener may be `async`: a rejection it returns is contained like a throw. */
export type BridgeListener<E extends BridgeEventName> = (payload: BridgeEvents[E]) => unknown

/** The `code` of the process warning that reports a failing listener (once per listener). */
export const LISTENER_WARNING_CODE = 'OPEN_BRIDGE_LISTENER_ERROR'

/**
 * A tiny typed emitter. `has` lets callers skip building a payload nobody listens to.
 * A listener that throws (or returns a promise that rejects) cannot break a credential read nor crash the
 * process: the failure is contained and reported once per listener as a process warning.
 */
export class EventHub {
  readonly #listeners = new Map<BridgeEventName, Set<(payload: never) => unknown>>()
  /** Listeners already reported: a listener failing on every event must not flood the warnings. */
  readonly #reported = new WeakSet<object>()

  on<E extends BridgeEventName>(event: E, listener: BridgeListener<E>): () => void {
    let set = this.#listeners.get(event)
    if (!set) {
      set = new Set()
      this.#listeners.set(event, set)
    }
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
        const result: unknown = listener(payload)
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.#report(event, listener, error))
      } catch (error) {
        this.#report(event, listener, error)
      }
    }
  }

  #report(event: BridgeEventName, listener: object, error: unknown): void {
    if (this.#reported.has(listener)) return
    this.#reported.add(listener)
    // Name and code only: the listener's own error could quote anything it was handed.
    const detail = typeof error === 'object' && error !== null ? (error as { name?: unknown; code?: unknown }) : {}
    const what = `${typeof detail.name === 'string' ? detail.name : typeof error}${typeof detail.code === 'string' ? ` ${detail.code}` : ''}`
    try {
      process.emitWarning(
        `an open-bridge '${event}' listener failed (${what}); further failures of this listener are not reported`,
        {
          code: LISTENER_WARNING_CODE,
        },
      )
    } catch {
      // A process 'warning' handler that throws is not ours to surface either.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
