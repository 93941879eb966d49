import type { ResolvedCoordination } from './coordination-options.js'
import { credentialString, type CredentialKind } from './credentials.js'
import { deepFreeze } from './deep-freeze.js'
import { BridgeError } from './errors.js'
import type { BridgeEvents, EventHub, RefreshReason } from './events.js'
import { isLive } from './expiry.js'
import type { FailureMemory, Remembered } from './failure-memory.js'
import { withDeadline } from './fetch-deadline.js'
import { toRecord } from './fetch-result.js'
import type { GenerationTicket, KeyGenerations } from './key-generations.js'
import { tryLease, type LockLease } from './lock-lease.js'
import { ownAnswerStands } from './lease-lost.js'
import { isFresher, sameCredential, type RefreshAheadPolicy } from './refresh-ahead.js'
import { SingleFlight } from './single-flight.js'
import type { StoredRecord } from './store.js'
import { decodeSharedFailure, encodeSharedFailure, sharedFailureKey } from './shared-failure.js'
import { LOCK_UNAVAILABLE, type TierChain } from './tier-chain.js'
import { WakeUp } from './wake-up.js'

/** One fill or refresh of one key, as the bridge asks for it. */
export interface FillRequest {
  readonly kind: CredentialKind
  readonly storageKey: string
  readonly reason: RefreshReason
  /** Who fetches: the caller's fallback, else the source. */
  readonly by: 'fallback' | 'source'
  /** refresh-ahead: the record the hit found; rejected: the caller's copy of the rejected record, if any. */
  readonly trigger: StoredRecord | undefined
  /** rejected: the credential string the platform refused. */
  readonly ifValue: string | undefined
  /** Calls the fallback or source; the bridge builds the key and context. */
  readonly produce: (ctx: {
    reason: RefreshReason
    previous: StoredRecord | undefined
    signal: AbortSignal
  }) => Promise<unknown> | unknown
}

/** The first look at the shared tiers while waiting comes after this; the pause doubles up to `lock.pollInterval`. */
const FIRST_POLL_MS = 20

/**
 * One fetch per credential per rotation, however many callers and processes ask:
 *
 * 1. In the process, concurrent requests for a key share one run (single-flight), so a process makes one lock
 *    attempt per key at a time.
 * 2. Across processes, the run takes the refresh lock of the first tier that has one (named after the storage
 *    key). The holder re-reads the shared tiers, fetches only if still needed, writes through and releases; the
 *    lease is extended every ttl/3 while the fetch runs. Where the lock tier can push (`watch`: Redis pub/sub), a
 *    waiter is woken as the record (or the failure record) is written; polling stays as the floor. The write is fenced (`TierChain.writeFenced`): a holder
 *    paused past its lease whose successor wrote meanwhile writes nothing (`lease-lost`). The others poll the shared tiers (20 ms doubling up to
 *    `pollInterval`) and try the lock at each poll, so a dead holder costs at most one lock TTL; past
 *    `waitTimeout` they fail with `E_REFRESH_TIMEOUT`. A lock that throws (or whose tier's breaker is open) leaves
 *    in-process single-flight alone in charge.
 * 3. A failed fetch is remembered per key (`FailureMemory`); a fetch that brought nothing fresher backs off.
 *    With the lock (and `failureBackoff.shared`), the holder whose source call failed also leaves a failure record
 *    in the lock tier for the backoff window before it lets go of the lock, and every holder reads it before
 *    calling the source: the deployment makes one call per window, and every process answers with that error.
 */
export class RefreshCoordinator {
  readonly #chain: TierChain
  readonly #events: EventHub
  readonly #generations: KeyGenerations
  readonly #failures: FailureMemory
  readonly #ahead: RefreshAheadPolicy
  readonly #options: ResolvedCoordination
  readonly #flight = new SingleFlight<StoredRecord | null>()
  readonly #closing = new AbortController()
  readonly #running = new Set<Promise<unknown>>()
  /** Background refreshes running (bounded by `refreshAheadConcurrency`). */
  #aheadRunning = 0

  constructor(deps: {
    chain: TierChain
    events: EventHub
    generations: KeyGenerations
    failures: FailureMemory
    ahead: RefreshAheadPolicy
    options: ResolvedCoordination
  }) {
    this.#chain = deps.chain
    this.#events = deps.events
    this.#generations = deps.generations
    this.#failures = deps.failures
    this.#ahead = deps.ahead
    this.#options = deps.options
  }

  /** Aborted when the bridge closes. */
  get signal(): AbortSignal {
    return this.#closing.signal
  }

  /**
   * A miss or a compare-and-refresh: resolves the record callers get (frozen, the same for all of them) or
   * `null`. A caller without its own fallback gets a remembered failure at once while its window is open.
   */
  fill(request: FillRequest): Promise<StoredRecord | null> {
    if (request.by === 'source') {
      const remembered = this.#failures.failure(request.storageKey)
      if (remembered !== undefined) return Promise.reject(remembered.error)
    }
    const name = request.reason === 'rejected' ? `${request.storageKey}\n${request.ifValue ?? ''}` : request.storageKey
    return this.#flight.run(name, () => this.#track(this.#coordinate(request)))
  }

  /** May a hit start a background refresh of the key now (none running, not backing off, not closing)? Cheap. */
  mayRefreshAhead(storageKey: string, now: number): boolean {
    return (
      this.#aheadRunning < this.#options.refreshAheadConcurrency &&
      !this.#flight.has(storageKey) &&
      !this.#failures.holdsBack(storageKey, now) &&
      !this.#closing.signal.aborted
    )
  }

  /**
   * A hit found a record with `remainingMs` left: start one background refresh (after `mayRefreshAhead`).
   * Errors reach listeners only (`fetch-error`, `backoff`); callers keep the live record.
   */
  refreshAhead(request: FillRequest, remainingMs: number): void {
    const key = request.storageKey
    if (this.#events.has('refresh-ahead'))
      this.#events.emit('refresh-ahead', { kind: request.kind, storageKey: key, remainingMs })
    this.#aheadRunning++
    this.#flight
      .run(key, () => this.#track(this.#coordinate(request)))
      .catch(() => {
        // Reported as events; the callers were served the live record.
      })
      .finally(() => {
        this.#aheadRunning--
      })
  }

  /** Aborts every fetch and wait in flight; resolves once they have let go of their locks (at most ~1 s). */
  async close(): Promise<void> {
    this.#closing.abort(new BridgeError('E_CLOSED', 'the bridge is closed'))
    const settled = Promise.allSettled([...this.#running])
    await Promise.race([settled, sleepUnref(1_000)])
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#running.add(work)
    const untrack = () => this.#running.delete(work)
    work.then(untrack, untrack)
    return work
  }

  async #coordinate(request: FillRequest): Promise<StoredRecord | null> {
    const ticket = this.#generations.begin(request.storageKey)
    try {
      const { storageKey } = request
      const { ttl, waitTimeout, pollInterval } = this.#options.lock
      let lease = await tryLease(this.#chain, storageKey, ttl)
      if (lease === LOCK_UNAVAILABLE) return await this.#hold(request, ticket, undefined)
      if (lease !== false) return await this.#holdLease(lease, request, ticket)

      if (this.#events.has('lock-contention')) {
        this.#events.emit('lock-contention', { kind: request.kind, storageKey, tier: this.#chain.lockTierName ?? '' })
      }
      const started = Date.now()
      let pause = Math.min(FIRST_POLL_MS, pollInterval)
      const sharing = request.by === 'source' && this.#options.failureBackoff.shared
      const wake = new WakeUp()
      const stopWatching = this.#watch(storageKey, sharing, wake)
      try {
        for (;;) {
          const rang = await wake.sleep(pause, this.#closing.signal)
          pause = Math.min(pause * 2, pollInterval)
          if (rang.has('failure')) {
            // The holder's fetch failed and it recorded the error: answer with it now, not after the lock is free.
            const shared = await this.#sharedFailure(request)
            if (shared !== undefined) {
              this.#waited(request, started, 'failure')
              throw shared
            }
          }
          const { record } = await this.#chain.readShared(storageKey)
          if (record !== undefined && this.#satisfied(request, record)) {
            this.#waited(request, started, 'value')
            return freezeRecord(record)
          }
          lease = await tryLease(this.#chain, storageKey, ttl)
          if (lease === LOCK_UNAVAILABLE) {
            this.#waited(request, started, 'took-lock')
            return await this.#hold(request, ticket, undefined)
          }
          if (lease !== false) {
            this.#waited(request, started, 'took-lock')
            return await this.#holdLease(lease, request, ticket)
          }
          if (Date.now() - started >= waitTimeout) {
            this.#waited(request, started, 'timeout')
            throw new BridgeError(
              'E_REFRESH_TIMEOUT',
              `waited ${waitTimeout} ms for another process to refresh ${storageKey}`,
            )
          }
        }
      } finally {
        stopWatching()
      }
    } finally {
      this.#generations.end(ticket)
    }
  }

  async #holdLease(lease: LockLease, request: FillRequest, ticket: GenerationTicket): Promise<StoredRecord | null> {
    try {
      return await this.#hold(request, ticket, lease)
    } finally {
      await lease.release()
    }
  }

  /** The holder (of the lock, or of the in-process flight when there is no usable lock: `lease` undefined). */
  async #hold(
    request: FillRequest,
    ticket: GenerationTicket,
    lease: LockLease | undefined,
  ): Promise<StoredRecord | null> {
    const { kind, storageKey } = request
    const locked = lease !== undefined
    // Someone may just have written: with the lock, another process; without, a flight that settled a moment ago.
    const seen = await (locked ? this.#chain.readShared(storageKey) : this.#chain.read(storageKey))
    const found = seen.record
    if (found !== undefined && this.#satisfied(request, found)) return freezeRecord(found)
    if (
      request.reason === 'refresh-ahead' &&
      locked &&
      found !== undefined &&
      (await this.#deploymentBackingOff(storageKey))
    ) {
      // Another process's refresh brought nothing fresher a moment ago: the platform would say the same again.
      this.#remembered(request, this.#failures.rememberNoFresher(storageKey), 'no-fresher')
      return freezeRecord(found)
    }
    const sharing = locked && request.by === 'source' && this.#options.failureBackoff.shared
    if (sharing) {
      const shared = await this.#sharedFailure(request)
      if (shared !== undefined) throw shared
    }
    const previous = found ?? request.trigger
    const fetchStarted = Date.now()
    let record: StoredRecord | null
    try {
      record = await this.#fetch(request, previous)
    } catch (error) {
      // Before the lock is released, so the next holder (of any process) finds the record.
      if (sharing && !this.#closing.signal.aborted) await this.#shareFailure(storageKey, error)
      throw error
    }
    const fetchMs = Date.now() - fetchStarted

    if (record === null) {
      if (request.reason === 'refresh-ahead') await this.#fruitless(request, locked)
      return null
    }
    // After a rejection any other credential beats the dead one, whatever its expiry; otherwise it must be fresher.
    const stale = (before: StoredRecord) =>
      request.reason === 'rejected' ? sameCredential(kind, record, before) : !isFresher(kind, record, before)
    if (request.reason !== 'miss' && previous !== undefined && stale(previous)) {
      // The platform handed back what is stored (a stable token before its last 5 minutes): keep it, back off.
      await this.#fruitless(request, locked)
      return isLive(previous) ? freezeRecord(previous) : record
    }
    this.#closing.signal.throwIfAborted()
    // A set, remove or refresh of the key by this process since this fill began wins; callers still get the fetch.
    if (!this.#generations.changed(ticket)) {
      if (lease === undefined) await this.#chain.write(storageKey, record, false)
      else {
        const fence = { expected: seen.lockTierHolds, stillHeld: lease.stillHeld }
        if ((await this.#chain.writeFenced(storageKey, record, fence)) === 'refused') {
          this.#failures.forget(storageKey)
          return await this.#leaseLost(request, record, fetchMs)
        }
      }
    }
    this.#failures.forget(storageKey)
    if (request.reason === 'refresh-ahead' && this.#ahead.dueAtOnce(kind, record)) {
      // A credential whose whole life is shorter than refreshAhead: do not refresh it on every hit.
      await this.#fruitless(request, locked)
    }
    return record
  }

  /**
   * The fence refused this holder's write: its lease lapsed and another holder wrote meanwhile. Its callers get
   * the stored record (copied into this process's upper tiers by the read), unless its own answer is certainly at
   * least as new (`ownAnswerStands`) or nothing usable is stored.
   */
  async #leaseLost(request: FillRequest, own: StoredRecord, fetchMs: number): Promise<StoredRecord> {
    const { kind, storageKey } = request
    const stored = (await this.#chain.readShared(storageKey)).record
    const usable =
      stored !== undefined &&
      !(request.reason === 'rejected' && credentialString(kind, stored.value) === request.ifValue)
    const served = usable && !ownAnswerStands(kind, own, fetchMs, stored) ? 'stored' : 'own'
    if (this.#events.has('lease-lost')) {
      const tier = this.#chain.lockTierName ?? ''
      this.#events.emit('lease-lost', { kind, storageKey, tier, reason: request.reason, served })
    }
    return served === 'stored' ? freezeRecord(stored!) : own
  }

  /**
   * A refresh brought nothing fresher: this process backs off, and — with the lock — so does the deployment: a
   * lease `<storageKey>:backoff` on the lock tier for the backoff window, taken before the refresh lock is released
   * and never released, tells the other processes' background refreshes to skip the platform until it lapses. It
   * is a separate lease so that a real rejection (compare-and-refresh) never waits behind a backoff.
   */
  async #fruitless(request: FillRequest, locked: boolean): Promise<void> {
    const { storageKey } = request
    const remembered = this.#failures.rememberNoFresher(storageKey)
    this.#remembered(request, remembered, 'no-fresher')
    if (!locked) return
    const token = globalThis.crypto.randomUUID()
    await this.#chain.lockCall(storageKey, (lock) =>
      lock.acquire(backoffLeaseName(storageKey), token, remembered.retryInMs),
    )
  }

  /** Is another process's "nothing fresher" backoff lease in force? (A 1 ms acquire that fails: held.) */
  async #deploymentBackingOff(storageKey: string): Promise<boolean> {
    const token = globalThis.crypto.randomUUID()
    const acquired = await this.#chain.lockCall(storageKey, (lock) =>
      lock.acquire(backoffLeaseName(storageKey), token, 1),
    )
    return acquired === false
  }

  /**
   * The failure another holder recorded in the lock tier while its window is open, remembered here too (so this
   * process's next callers are answered without asking the lock tier), or `undefined`.
   */
  async #sharedFailure(request: FillRequest): Promise<unknown> {
    const { storageKey } = request
    const stored = await this.#chain.readLockTier(sharedFailureKey(storageKey))
    const decoded = stored === undefined ? undefined : decodeSharedFailure(stored)
    if (decoded === undefined || decoded.until <= Date.now()) return undefined
    const remembered = this.#failures.rememberShared(storageKey, decoded.error, decoded.until, decoded.streak)
    this.#remembered(request, remembered, 'error')
    return decoded.error
  }

  /** `remove` of the key: the deployment's record of its last failure goes too, so the next miss calls the source. */
  async forgetSharedFailure(storageKey: string): Promise<void> {
    if (this.#options.failureBackoff.shared) await this.#chain.deleteLockTier(sharedFailureKey(storageKey))
  }

  /** Records this holder's failed fetch in the lock tier for its backoff window (see `#sharedFailure`). */
  async #shareFailure(storageKey: string, error: unknown): Promise<void> {
    const window = this.#failures.window(storageKey)
    if (window === undefined) return
    await this.#chain.writeLockTier(
      sharedFailureKey(storageKey),
      encodeSharedFailure(error, window.until, window.streak),
    )
  }

  async #fetch(request: FillRequest, previous: StoredRecord | undefined): Promise<StoredRecord | null> {
    const { kind, storageKey, by, reason } = request
    const started = performance.now()
    let record: StoredRecord | null
    try {
      const produced = await withDeadline(
        (signal) => request.produce({ reason, previous, signal }),
        this.#options.fetchTimeout,
        this.#closing.signal,
      )
      record = toRecord(produced, by, kind)
    } catch (error) {
      if (!this.#closing.signal.aborted) {
        if (this.#events.has('fetch-error')) {
          this.#events.emit('fetch-error', {
            kind,
            storageKey,
            by,
            reason,
            durationMs: performance.now() - started,
            error,
          })
        }
        // A caller's own fallback failing says nothing about the source: only source failures are remembered.
        if (by === 'source') this.#remembered(request, this.#failures.rememberFailure(storageKey, error), 'error')
      }
      throw error
    }
    if (this.#events.has('fetch'))
      this.#events.emit('fetch', { kind, storageKey, by, reason, durationMs: performance.now() - started })
    return record
  }

  /** Does a live record found in the shared tiers answer this request, so nothing need be fetched? */
  #satisfied(request: FillRequest, record: StoredRecord): boolean {
    if (!isLive(record)) return false
    switch (request.reason) {
      case 'miss':
        return true
      case 'refresh-ahead':
        // Another process refreshed it meanwhile.
        return request.trigger === undefined || !sameCredential(request.kind, record, request.trigger)
      case 'rejected':
        return credentialString(request.kind, record.value) !== request.ifValue
    }
  }

  #remembered(request: FillRequest, remembered: Remembered, cause: 'error' | 'no-fresher'): void {
    if (this.#events.has('backoff')) {
      this.#events.emit('backoff', {
        kind: request.kind,
        storageKey: request.storageKey,
        retryInMs: remembered.retryInMs,
        cause,
        category: remembered.category,
      })
    }
  }

  #waited(request: FillRequest, started: number, outcome: BridgeEvents['wait']['outcome']): void {
    if (this.#events.has('wait'))
      this.#events.emit('wait', {
        kind: request.kind,
        storageKey: request.storageKey,
        durationMs: Date.now() - started,
        outcome,
      })
  }

  /**
   * A waiter's watch on the lock tier, when it can push: the credential's key (and, when failures are shared, its
   * failure record's) ring `wake`. Returns what stops both; a no-op when the tier cannot watch (polling alone).
   */
  #watch(storageKey: string, sharing: boolean, wake: WakeUp): () => void {
    const stops = [this.#chain.watchLockTier(storageKey, () => wake.ring('record'))]
    if (sharing) stops.push(this.#chain.watchLockTier(sharedFailureKey(storageKey), () => wake.ring('failure')))
    return () => {
      for (const stop of stops) stop?.()
    }
  }
}

/** The name of the deployment-wide "nothing fresher" lease of a key (see `#fruitless`). */
export function backoffLeaseName(storageKey: string): string {
  return `${storageKey}:backoff`
}

/** Waiters of one run share the record: freeze it so none can change it for the others. */
function freezeRecord(record: StoredRecord): StoredRecord {
  deepFreeze(record.value)
  return record
}

function sleepUnref(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.())
}
