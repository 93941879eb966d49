import { BridgeError } from './errors.js'
import type { EventHub } from './events.js'
import { isLive } from './expiry.js'
import type { CredentialStore, StoredRecord } from './store.js'

/** What `peek` says when the nearest tier was asked and had nothing: it missed, or it threw. */
export const MISSED = 0
export const FAILED = 1
export type PeekMiss = typeof MISSED | typeof FAILED

export interface ChainRead {
  /** The live record found, if any. */
  record: StoredRecord | undefined
  /** Did at least one tier answer (hit or miss)? `false` means every tier threw. */
  answered: boolean
}

/**
 * The ordered tiers, nearest first. Reads stop at the first live record and copy it into the tiers
 * above with the same absolute expiry; writes and deletes go to every tier. A tier that throws is
 * skipped and reported as a `tier-error`; the call carries on with the others.
 */
export class TierChain {
  readonly #tiers: readonly CredentialStore[]
  readonly #events: EventHub
  /** The nearest tier's synchronous read, when it has one (the memory tier). */
  readonly #peekFirst: ((key: string) => StoredRecord | undefined) | undefined

  constructor(tiers: readonly CredentialStore[], events: EventHub) {
    this.#tiers = tiers
    this.#events = events
    const first = tiers[0]
    this.#peekFirst = first?.getSync ? first.getSync.bind(first) : undefined
  }

  get names(): string[] {
    return this.#tiers.map((tier) => tier.name)
  }

  /**
   * The hot path: a synchronous look into the nearest tier. Stores guarantee `getSync` never returns an
   * expired record, so no second clock check is needed here. Resolves `undefined` when the nearest tier has
   * no `getSync` (nothing was looked at), `MISSED` or `FAILED` when it was looked at and had nothing.
   */
  peek(key: string): StoredRecord | PeekMiss | undefined {
    if (this.#peekFirst === undefined) return undefined
    try {
      return this.#peekFirst(key) ?? MISSED
    } catch (error) {
      this.#tierError(this.#tiers[0]!, 'get', key, error)
      return FAILED
    }
  }

  /** Reads the tiers nearest first. After a `peek` that missed, pass its result so tier 0 is not asked twice. */
  async read(key: string, peeked?: PeekMiss): Promise<ChainRead> {
    let answered = peeked === MISSED
    const tiers = this.#tiers
    for (let i = peeked === undefined ? 0 : 1; i < tiers.length; i++) {
      const tier = tiers[i]!
      let record: StoredRecord | undefined
      try {
        record = tier.getSync ? tier.getSync(key) : await tier.get(key)
      } catch (error) {
        this.#tierError(tier, 'get', key, error)
        continue
      }
      answered = true
      if (record === undefined || !isLive(record)) continue
      if (i > 0) await this.#writeTo(tiers.slice(0, i), key, record)
      return { record, answered }
    }
    return { record: undefined, answered }
  }

  /**
   * Writes every tier. Resolves once all have answered. With `strict`, throws `E_STORE_UNAVAILABLE` when
   * no tier took the write (a `set` the caller must know failed); otherwise failures are events only.
   */
  async write(key: string, record: StoredRecord, strict: boolean): Promise<void> {
    const written = await this.#writeTo(this.#tiers, key, record)
    if (strict && written === 0 && this.#tiers.length > 0) {
      throw new BridgeError('E_STORE_UNAVAILABLE', `no tier accepted the write (tiers: ${this.names.join(', ')})`)
    }
  }

  async delete(key: string): Promise<void> {
    const results = await Promise.all(
      this.#tiers.map(async (tier) => {
        try {
          await tier.delete(key)
          return true
        } catch (error) {
          this.#tierError(tier, 'delete', key, error)
          return false
        }
      }),
    )
    if (results.length > 0 && !results.includes(true)) {
      throw new BridgeError('E_STORE_UNAVAILABLE', `no tier accepted the delete (tiers: ${this.names.join(', ')})`)
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

  /** Resolves how many tiers took the write. */
  async #writeTo(tiers: readonly CredentialStore[], key: string, record: StoredRecord): Promise<number> {
    const results = await Promise.all(
      tiers.map(async (tier) => {
        try {
          await tier.set(key, record)
          return 1
        } catch (error) {
          this.#tierError(tier, 'set', key, error)
          return 0
        }
      }),
    )
    return results.reduce<number>((sum, ok) => sum + ok, 0)
  }

  #tierError(tier: CredentialStore, operation: 'get' | 'set' | 'delete' | 'close', storageKey: string | undefined, error: unknown): void {
    if (this.#events.has('tier-error')) this.#events.emit('tier-error', { tier: tier.name, operation, storageKey, error })
  }
}
