import type { LOCK_UNAVAILABLE, TierChain } from './tier-chain.js'

/**
 * A held refresh lock. It is extended every ttl/3 until `release`, so only a dead (or paused) holder lets it
 * lapse. A holder paused past its lease is not told: its write is fenced instead (`TierChain.writeFenced`).
 */
export interface LockLease {
  /**
   * Does this holder still hold the lease? One extension, now: `false` once it lapsed (and maybe went to another
   * holder); `LOCK_UNAVAILABLE` when the lock tier cannot be asked.
   */
  stillHeld(): Promise<boolean | typeof LOCK_UNAVAILABLE>
  release(): Promise<void>
}

/**
 * Tries once to take the refresh lock `name` on the chain's lock tier. Resolves the lease, `false` when another
 * holder has it, or `LOCK_UNAVAILABLE` when there is no usable lock tier (none, breaker open, or it threw).
 */
export async function tryLease(
  chain: TierChain,
  name: string,
  ttl: number,
): Promise<LockLease | false | typeof LOCK_UNAVAILABLE> {
  const token = globalThis.crypto.randomUUID()
  const acquired = await chain.lockCall(name, (lock) => lock.acquire(name, token, ttl))
  if (acquired !== true) return acquired
  const extend = () => chain.lockCall(name, (lock) => lock.extend(name, token, ttl))
  // A failed extension is a tier-error event; the fetch goes on, and its write is fenced.
  const timer = setInterval(() => void extend(), ttl / 3)
  timer.unref?.()
  let released = false
  return {
    stillHeld: extend,
    async release() {
      if (released) return
      released = true
      clearInterval(timer)
      await chain.lockCall(name, (lock) => lock.release(name, token))
    },
  }
}
