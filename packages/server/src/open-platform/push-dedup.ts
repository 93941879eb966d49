/** How long a push id is remembered, in seconds: twice the timestamp tolerance (a replay older is refused as stale). */
const REMEMBER_SECONDS = 600
/** At most this many ids are held (a flood of validly signed pushes cannot grow the table without bound). */
const MAX_IDS = 10_000

/**
 * The pushes applied lately, by `DecryptedPush.id` (one per byte-identical push): WeChat's retry of a push that was
 * answered late, or a replay, is answered `success` without being applied again. Handling stays idempotent anyway —
 * a push re-signed under a new timestamp has a new id.
 */
export class PushDedup {
  readonly #seen = new Map<string, number>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** `true` the first time `id` is seen (the caller applies it); `false` for a repeat. */
  claim(id: string, timestampSeconds: number): boolean {
    const now = this.#now()
    if (this.#seen.has(id)) return false
    if (this.#seen.size >= MAX_IDS) this.#prune(now)
    this.#seen.set(id, Math.max(now, timestampSeconds * 1000) + REMEMBER_SECONDS * 1000)
    return true
  }

  /** Forgets `id` (its application failed: WeChat's retry must be applied). */
  release(id: string): void {
    this.#seen.delete(id)
  }

  get size(): number {
    return this.#seen.size
  }

  #prune(now: number): void {
    for (const [id, until] of this.#seen) if (until <= now) this.#seen.delete(id)
    // Still full of live ids: drop the oldest half (insertion order), repeats of those are applied again — harmless.
    if (this.#seen.size >= MAX_IDS) {
      let drop = this.#seen.size / 2
      for (const id of this.#seen.keys()) {
        if (drop-- <= 0) break
        this.#seen.delete(id)
      }
    }
  }
}
