import type { StoreLock } from '@open-bridge/core'
import type { ScriptedClient } from './scripts.js'

/**
 * The refresh lease: `SET <lockKey> <token> NX PX <ttl>`, released and extended by compare-and-delete /
 * compare-and-pexpire scripts. Lock keys live under `<keyPrefix>lock:`, apart from credential keys
 * (which start `<keyPrefix>uni-id:`).
 */
export function redisLock(
  client: ScriptedClient,
  lockKey: (name: string) => string,
  ready: () => Promise<void>,
  fail: (operation: string, error: unknown, extra?: readonly string[]) => Error,
): StoreLock {
  const guarded = async <T>(operation: string, token: string, run: () => Promise<T>): Promise<T> => {
    try {
      await ready()
      return await run()
    } catch (error) {
      throw fail(operation, error, [token])
    }
  }
  return {
    acquire: (name, token, ttlMs) =>
      guarded(
        'lock acquire',
        token,
        async () => (await client.set(lockKey(name), token, 'PX', wholeMs(ttlMs), 'NX')) === 'OK',
      ),
    release: (name, token) =>
      guarded('lock release', token, async () => (await client.openBridgeRelease(lockKey(name), token)) === 1),
    extend: (name, token, ttlMs) =>
      guarded(
        'lock extend',
        token,
        async () => (await client.openBridgeExtend(lockKey(name), token, wholeMs(ttlMs))) === 1,
      ),
  }
}

/** Redis takes whole milliseconds, at least 1. */
function wholeMs(ms: number): number {
  return Math.max(1, Math.ceil(ms))
}
