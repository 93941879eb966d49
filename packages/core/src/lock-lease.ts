import type { LOCK_UNAVAILABLE, TierChain } from './tier-chain.js'

/** A held refresh lock. It is extended every ttl/3 until `release`, so only a dead holder lets it lapse. */
export interface LockLease {
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
  // A failed extension is a tier-error event; the fetch goes on (at worst a second process fetches too).
  const timer = setInterval(() => void chain.lockCall(name, (lock) => lock.extend(name, token, ttl)), ttl / 3)
  timer.unref?.()
  let released = false
  return {
    async release() {
      if (released) return
      released = true
      clearInterval(timer)
      await chain.lockCall(name, (lock) => lock.release(name, token))
    },
  }
}
