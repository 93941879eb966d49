import type { EventHub } from './events.js'

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failures: number
  /** How long an open breaker skips the tier before one probe is let through, in ms. */
  cooldown: number
}

const CLOSED = 0
const OPEN = 1
const PROBING = 2

/**
 * The circuit breaker of one tier: after `failures` consecutive failures the tier is skipped (no call, so no
 * latency) for `cooldown` ms; then one call goes through as a probe. A probe that succeeds closes the breaker,
 * one that fails opens it again. Both changes are events.
 */
export class TierBreaker {
  readonly #tier: string
  readonly #options: BreakerOptions | false
  readonly #events: EventHub
  #state: typeof CLOSED | typeof OPEN | typeof PROBING = CLOSED
  #failures = 0
  #openUntil = 0

  constructor(tier: string, options: BreakerOptions | false, events: EventHub) {
    this.#tier = tier
    this.#options = options
    this.#events = events
  }

  /** Cheap check for the hot path: is the breaker closed (the tier used as usual)? */
  get closed(): boolean {
    return this.#state === CLOSED
  }

  /** May a call go to the tier now? After the cooldown the first caller is let through as the probe. */
  allow(now: number = Date.now()): boolean {
    if (this.#state === CLOSED) return true
    if (now < this.#openUntil) return false
    // Open and cooled down, or a probe that has not answered within a cooldown (a hung call): probe (again).
    this.#state = PROBING
    this.#openUntil = now + (this.#options === false ? 0 : this.#options.cooldown)
    return true
  }

  success(): void {
    if (this.#failures === 0 && this.#state === CLOSED) return
    this.#failures = 0
    if (this.#state !== CLOSED) {
      this.#state = CLOSED
      if (this.#events.has('breaker-close')) this.#events.emit('breaker-close', { tier: this.#tier })
    }
  }

  failure(now: number = Date.now()): void {
    if (this.#options === false) return
    this.#failures++
    if (this.#state === PROBING || (this.#state === CLOSED && this.#failures >= this.#options.failures)) {
      const opening = this.#state === CLOSED
      this.#state = OPEN
      this.#openUntil = now + this.#options.cooldown
      if (opening && this.#events.has('breaker-open')) this.#events.emit('breaker-open', { tier: this.#tier })
    }
  }
}
