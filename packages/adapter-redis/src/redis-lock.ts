import type { StoreLock } from '@open-bridge/core'
import type { ScriptedClient } from './scripts.js'

/**
 * The refresh lease: `SET <lockKey> <token> NX PX <ttl>`, released and extended by compare-and-delete /
 * compare-and-pexpire scripts. Lock keys live under `<keyPrefix>lock:`, apart from credential keys
 * (which start `<keyPrefix>uni-id:`).
 */
export function redisLock(client: ScriptedClient, lockKey: (name: string) => string, ready: () => Promise<void>): StoreLock {
  return {
    acquire: async (name, token, ttlMs) => {
      await ready()
      return (await client.set(lockKey(name), token, 'PX', wholeMs(ttlMs), 'NX')) === 'OK'
    },
    release: async (name, token) => {
      await ready()
      return (await client.openBridgeRelease(lockKey(name), token)) === 1
    },
    extend: async (name, token, ttlMs) => {
      await ready()
      return (await client.openBridgeExtend(lockKey(name), token, wholeMs(ttlMs))) === 1
    },
  }
}

/** Redis takes whole milliseconds, at least 1. */
function wholeMs(ms: number): number {
  return Math.max(1, Math.ceil(ms))
}
