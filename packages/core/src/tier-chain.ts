import { BridgeError } from './errors.js'
import type { EventHub } from './events.js'
import { isLive } from './expiry.js'
import type { KeyGenerations } from './key-generations.js'
import { endsRead } from './sealed-store.js'
import type { CredentialStore, StoredRecord, StoreLock } from './store.js'
import { TierBreaker, type BreakerOptions } from './tier-breaker.js'

/** What `peek` says when the nearest tier was asked and had nothing: it missed, or it threw (or was skipped). */
export const MISSED = 0
export const FAILED = 1
export type PeekMiss = typeof MISSED | typeof FAILED

/** What `lockCall` resolves when the lock tier threw or its breaker is open: go on without the lock. */
export const LOCK_UNAVAILABLE = Symbol('lock unavailable')

export interface ChainRead {
  /** The live record found, if any. */
  record: StoredRecord | undefined
  /** Did at least one tier answer (hit or miss)? `false` means every tier threw. */
  answered: boolean
  /**
   * `readShared` only: the live record the lock tier holds after this read as far as this process knows (what it
   * answered, or the record copied into it from a tier below), `undefined` for none. The fence's `expected`.
   */
  lockTierHolds?: StoredRecord | undefined
}

/** A read in flight, shared by the reads of its key that start meanwhile from the same `peek`. */
interface InFlightRead {
  readonly peeked: PeekMiss | undefined
  /** Set once the read has started (and not settled at once). */
  promise: Promise<ChainRead> | undefined
}

/** What a write under the refresh lock is checked against (see `writeFenced`). */
export interface WriteFence {
  /** What the lock tier held when the holder looked (`ChainRead.lockTierHolds`). */
  expected: StoredRecord | undefined
  /** One lease extension, now: does the holder still hold it? */
  stillHeld: () => Promise<boolean | typeof LOCK_UNAVAILABLE>
}

/** What `writeFenced` resolves: the record landed, or the fence refused it (another holder wrote meanwhile). */
export type FencedWrite = 'written' | 'refused'

/**
 * The ordered tiers, nearest first. Reads stop at the first live record and copy it into the tiers
 * above with the same absolute expiry; writes and deletes go to every tier. A tier that throws is
 * skipped and reported as a `tier-error`; the call carries on with the others. Each tier has a circuit
 * breaker, so a tier that keeps failing is not even asked until its cooldown has passed.
 */
export class TierChain {
  readonly #tiers: readonly CredentialStore[]
  readonly #breakers: readonly TierBreaker[]
  readonly #events: EventHub
  readonly #generations: KeyGenerations
  /** The nearest tier's synchronous read, when it has one (the memory tier). */
  readonly #peekFirst: ((key: string, now: number) => StoredRecord | undefined) | undefined
  readonly #breaker0: TierBreaker
  /** Index of the first tier with a lock (the one processes coordinate on), or -1. */
  readonly #lockIndex: number
  /** The read of each key in flight: concurrent reads of one key share it (a herd asks the tiers once per process). */
  readonly #inFlight = new Map<string, InFlightRead>()

  constructor(
    tiers: readonly CredentialStore[],
    events: EventHub,
    generations: KeyGenerations,
    breaker: BreakerOptions | false,
  ) {
    this.#tiers = tiers
    this.#events = events
    this.#generations = generations
    this.#breakers = tiers.map((tier) => new TierBreaker(tier.name, breaker, events))
    this.#breaker0 = this.#breakers[0]!
    const first = tiers[0]
    this.#peekFirst = first?.getSync ? first.getSync.bind(first) : undefined
    this.#lockIndex = tiers.findIndex((tier) => typeof tier.lock === 'object' && tier.lock !== null)
  }

  get names(): string[] {
    return this.#tiers.map((tier) => tier.name)
  }

  /** The name of the tier whose lock coordinates refreshes between processes, if any. */
  get lockTierName(): string | undefined {
    return this.#lockIndex < 0 ? undefined : this.#tiers[this.#lockIndex]!.name
  }

  /**
   * The hot path: a synchronous look into the nearest tier, with the caller's clock reading `now` (the one clock
   * read of a hit). Stores guarantee `getSync` never returns an expired record, so no second check is needed.
   * Resolves `undefined` when the nearest tier has no `getSync` (nothing was looked at), `MISSED` or `FAILED`
   * when it was looked at and had nothing (`FAILED` also when its breaker is open).
   */
  peek(key: string, now: number): StoredRecord | PeekMiss | undefined {
    if (this.#peekFirst === undefined) return undefined
    const breaker = this.#breaker0
    if (!breaker.closed && !breaker.allow()) {
      this.#skipped(0, 'get', key)
      return FAILED
    }
    try {
      const record = this.#peekFirst(key, now)
      breaker.success()
      return record ?? MISSED
    } catch (error) {
      this.#failed(0, 'get', key, error)
      return FAILED
    }
  }

  /** Reads the tiers nearest first. After a `peek` that missed, pass its result so tier 0 is not asked twice. */
  read(key: string, peeked?: PeekMiss): Promise<ChainRead> {
    // A read of the key already in flight (from the same start) is joined: it began after the last write of the key
    // this process made (a write forgets it), so its answer is as fresh as a read of one's own.
    const joined = this.#inFlight.get(key)
    if (joined !== undefined && joined.peeked === peeked && joined.promise !== undefined) return joined.promise
    const entry: InFlightRead = { peeked, promise: undefined }
    this.#inFlight.set(key, entry)
    const promise = this.#readRange(key, peeked === undefined ? 0 : 1, peeked === MISSED, entry)
    // Not when it settled already (a walk of synchronous tiers): then it is no longer in flight.
    if (this.#inFlight.get(key) === entry) entry.promise = promise
    return promise
  }

  /** The read `entry` settled: later reads start their own. */
  #settled(key: string, entry: InFlightRead | undefined): void {
    if (entry !== undefined && this.#inFlight.get(key) === entry) this.#inFlight.delete(key)
  }

  /** A write or delete of `key` starts: reads in flight may answer what it replaces, so none is joined any more. */
  #newGeneration(key: string): void {
    this.#generations.bump(key)
    this.#inFlight.delete(key)
  }

  /**
   * Reads the tiers the processes share: from the lock tier down (every tier when none has a lock). The tiers
   * above it are this process's own copies, which may still hold what another process has just replaced.
   */
  readShared(key: string): Promise<ChainRead> {
    return this.#readRange(key, Math.max(this.#lockIndex, 0), false)
  }

  /**
   * Writes every tier (a new generation of the key: copy-downs in flight will not overwrite it). Resolves
   * once all have answered. With `strict`, throws `E_STORE_UNAVAILABLE` when no tier took the write (a `set`
   * the caller must know failed); otherwise failures are events only.
   */
  async write(key: string, record: StoredRecord, strict: boolean): Promise<void> {
    this.#newGeneration(key)
    const written = await this.#writeTo(this.#tiers.length, key, record)
    if (strict && written === 0 && this.#tiers.length > 0) {
      throw new BridgeError('E_STORE_UNAVAILABLE', `no tier accepted the write (tiers: ${this.names.join(', ')})`)
    }
  }

  /** Does any tier persist (`store.persistent`)? A durable kind needs one. */
  get hasPersistentTier(): boolean {
    return this.#tiers.some((tier) => tier.persistent === true)
  }

  /**
   * `write` for a durable kind: resolves only once a persistent tier holds the record, else throws
   * `E_NO_DURABLE_TIER` (the other tiers may have taken it; a read finds it there until they drop it).
   */
  async writeDurable(key: string, record: StoredRecord): Promise<void> {
    this.#newGeneration(key)
    const persisted = await Promise.all(
      this.#tiers.map(async (tier, i) => {
        if (!this.#breakers[i]!.allow()) {
          this.#skipped(i, 'set', key)
          return false
        }
        try {
          await tier.set(key, record)
          this.#breakers[i]!.success()
          return tier.persistent === true
        } catch (error) {
          this.#failed(i, 'set', key, error)
          return false
        }
      }),
    )
    if (!persisted.includes(true)) {
      throw new BridgeError(
        'E_NO_DURABLE_TIER',
        `no persistent tier took the write of a durable credential (tiers: ${this.names.join(', ')}); it cannot be fetched again, so the write failed`,
      )
    }
  }

  /**
   * THE write made under the refresh lock (a miss, a refresh-ahead, a compare-and-refresh): it lands only if the
   * lock tier still holds what the holder saw (`compareAndSet`, one atomic step) or, failing that, the holder still
   * holds its lease (one extension). Otherwise nothing is written anywhere and it resolves `'refused'`: a holder
   * paused past its lease never overwrites what the next holder wrote. When the lock tier cannot be asked (down,
   * breaker open) there is no lease to protect and the write goes through as `write` does. Then every other tier
   * is written too.
   */
  async writeFenced(key: string, record: StoredRecord, fence: WriteFence): Promise<FencedWrite> {
    this.#inFlight.delete(key)
    const i = this.#lockIndex
    if (i < 0) {
      await this.write(key, record, false)
      return 'written'
    }
    const tier = this.#tiers[i]!
    if (tier.compareAndSet !== undefined && this.#breakers[i]!.allow()) {
      const expected = fence.expected !== undefined && isLive(fence.expected) ? fence.expected : undefined
      let wrote: boolean
      try {
        wrote = await tier.compareAndSet(key, expected, record)
        this.#breakers[i]!.success()
      } catch (error) {
        // No answer from the lock tier: its lock protects nothing now either; the other tiers still get the write.
        this.#failed(i, 'set', key, error)
        await this.#writeExcept(i, key, record)
        return 'written'
      }
      if (wrote) {
        await this.#writeExcept(i, key, record)
        return 'written'
      }
      // Someone wrote the key meanwhile: only a holder that can show it still holds the lease overrides that.
      if ((await fence.stillHeld()) !== true) return 'refused'
    } else if ((await fence.stillHeld()) === false) {
      // Without compareAndSet the lease check is all there is (a lock tier that cannot answer protects nothing).
      return 'refused'
    }
    await this.write(key, record, false)
    return 'written'
  }

  async delete(key: string): Promise<void> {
    this.#newGeneration(key)
    const results = await Promise.all(
      this.#tiers.map(async (tier, i) => {
        if (!this.#breakers[i]!.allow()) {
          this.#skipped(i, 'delete', key)
          return false
        }
        try {
          await tier.delete(key)
          this.#breakers[i]!.success()
          return true
        } catch (error) {
          this.#failed(i, 'delete', key, error)
          return false
        }
      }),
    )
    if (results.length > 0 && !results.includes(true)) {
      throw new BridgeError('E_STORE_UNAVAILABLE', `no tier accepted the delete (tiers: ${this.names.join(', ')})`)
    }
  }

  /**
   * Runs one call on the lock of the lock tier, through its breaker. Resolves `LOCK_UNAVAILABLE` when there is
   * no lock tier, its breaker is open or the call threw (reported as a `tier-error` with operation `lock`).
   */
  async lockCall<T>(key: string, call: (lock: StoreLock) => Promise<T>): Promise<T | typeof LOCK_UNAVAILABLE> {
    const i = this.#lockIndex
    if (i < 0) return LOCK_UNAVAILABLE
    if (!this.#breakers[i]!.allow()) {
      this.#skipped(i, 'lock', key)
      return LOCK_UNAVAILABLE
    }
    try {
      const result = await call(this.#tiers[i]!.lock!)
      this.#breakers[i]!.success()
      return result
    } catch (error) {
      this.#failed(i, 'lock', key, error)
      return LOCK_UNAVAILABLE
    }
  }

  /**
   * Reads one key of the lock tier alone (a coordination record beside a credential, such as the shared failure
   * record): never copied anywhere. `undefined` for a miss, no lock tier, an open breaker or a tier that threw.
   */
  async readLockTier(key: string): Promise<StoredRecord | undefined> {
    const i = this.#lockIndex
    if (i < 0 || !this.#breakers[i]!.allow()) return undefined
    try {
      const tier = this.#tiers[i]!
      const record = tier.getSync ? tier.getSync(key) : await tier.get(key)
      this.#breakers[i]!.success()
      return record !== undefined && isLive(record) ? record : undefined
    } catch (error) {
      this.#failed(i, 'get', key, error)
      return undefined
    }
  }

  /** Writes one key of the lock tier alone (see `readLockTier`); a failure is a `tier-error` event only. */
  async writeLockTier(key: string, record: StoredRecord): Promise<void> {
    const i = this.#lockIndex
    if (i < 0 || !this.#breakers[i]!.allow()) return
    try {
      await this.#tiers[i]!.set(key, record)
      this.#breakers[i]!.success()
    } catch (error) {
      this.#failed(i, 'set', key, error)
    }
  }

  /**
   * Watches `key` on the lock tier when it can push (`CredentialStore.watch`): `onChange` runs soon after any
   * process writes it. Resolves `undefined` when it cannot (no lock tier, no `watch`, breaker open, it threw):
   * the caller polls as it would anyway.
   */
  watchLockTier(key: string, onChange: () => void): (() => void) | undefined {
    const i = this.#lockIndex
    const tier = this.#tiers[i]
    if (tier?.watch === undefined || !this.#breakers[i]!.closed) return undefined
    try {
      const stop = tier.watch(key, onChange)
      return typeof stop === 'function' ? stop : undefined
    } catch {
      // A watch is an optimisation; polling covers a store whose watch broke its promise not to throw.
      return undefined
    }
  }

  /** Deletes one key of the lock tier alone (see `readLockTier`); a failure is a `tier-error` event only. */
  async deleteLockTier(key: string): Promise<void> {
    const i = this.#lockIndex
    if (i < 0 || !this.#breakers[i]!.allow()) return
    try {
      await this.#tiers[i]!.delete(key)
      this.#breakers[i]!.success()
    } catch (error) {
      this.#failed(i, 'delete', key, error)
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#tiers.map(async (tier) => {
        try {
          await tier.close()
        } catch (error) {
          this.#tierError(tier, 'close', undefined, error)
        }
      }),
    )
  }

  async #readRange(key: string, from: number, answered: boolean, entry?: InFlightRead): Promise<ChainRead> {
    const tiers = this.#tiers
    // A record found below the first tier is copied up, unless the key was written meanwhile: the ticket tells. A
    // read that can only find it in the first tier copies nothing, so it takes none (a one-tier chain's hit is hot).
    const ticket = tiers.length > Math.max(from, 1) ? this.#generations.begin(key) : undefined
    const lockIndex = this.#lockIndex
    try {
      for (let i = from; i < tiers.length; i++) {
        const tier = tiers[i]!
        const breaker = this.#breakers[i]!
        if (!breaker.allow()) {
          this.#skipped(i, 'get', key)
          continue
        }
        let record: StoredRecord | undefined
        try {
          record = tier.getSync ? tier.getSync(key) : await tier.get(key)
          breaker.success()
        } catch (error) {
          // A sealed record that cannot be fetched again and did not open: the caller sees it (the tier answered).
          if (endsRead(error)) throw error
          this.#failed(i, 'get', key, error)
          continue
        }
        answered = true
        if (record === undefined || !isLive(record)) continue
        // A set, remove or refresh of this key since the read began wins: its record must not be overwritten.
        const copied = i > 0 && ticket !== undefined && !this.#generations.changed(ticket)
        if (copied) await this.#writeTo(i, key, record)
        const lockTierHolds = i === lockIndex || (copied && lockIndex >= 0 && lockIndex < i) ? record : undefined
        return { record, answered, lockTierHolds }
      }
      return { record: undefined, answered, lockTierHolds: undefined }
    } finally {
      this.#settled(key, entry)
      if (ticket !== undefined) this.#generations.end(ticket)
    }
  }

  /** Writes every tier but `skip` (a new generation of the key). */
  async #writeExcept(skip: number, key: string, record: StoredRecord): Promise<void> {
    this.#newGeneration(key)
    await Promise.all(
      this.#tiers.map(async (tier, i) => {
        if (i === skip) return
        if (!this.#breakers[i]!.allow()) return this.#skipped(i, 'set', key)
        try {
          await tier.set(key, record)
          this.#breakers[i]!.success()
        } catch (error) {
          this.#failed(i, 'set', key, error)
        }
      }),
    )
  }

  /** Writes the first `count` tiers; resolves how many took the write. */
  async #writeTo(count: number, key: string, record: StoredRecord): Promise<number> {
    const results = await Promise.all(
      this.#tiers.slice(0, count).map(async (tier, i) => {
        if (!this.#breakers[i]!.allow()) {
          this.#skipped(i, 'set', key)
          return 0
        }
        try {
          await tier.set(key, record)
          this.#breakers[i]!.success()
          return 1
        } catch (error) {
          this.#failed(i, 'set', key, error)
          return 0
        }
      }),
    )
    return results.reduce<number>((sum, ok) => sum + ok, 0)
  }

  #failed(i: number, operation: 'get' | 'set' | 'delete' | 'lock', storageKey: string, error: unknown): void {
    this.#breakers[i]!.failure()
    this.#tierError(this.#tiers[i]!, operation, storageKey, error)
  }

  #skipped(i: number, operation: 'get' | 'set' | 'delete' | 'lock', storageKey: string): void {
    if (this.#events.has('tier-skipped'))
      this.#events.emit('tier-skipped', { tier: this.#tiers[i]!.name, operation, storageKey })
  }

  #tierError(
    tier: CredentialStore,
    operation: 'get' | 'set' | 'delete' | 'close' | 'lock',
    storageKey: string | undefined,
    error: unknown,
  ): void {
    if (this.#events.has('tier-error'))
      this.#events.emit('tier-error', { tier: tier.name, operation, storageKey, error })
  }
}
