import type { StoreLock } from '@open-bridge/core'
import type { Collection } from 'mongodb'
import { isDuplicateKeyError } from './errors.js'

export interface LockDocument {
  /** The lock name. The unique `_id` index is what makes acquiring atomic. */
  _id: string
  /** The holder's token: only it may release or extend. */
  token: string
  /** When the lease ends; also the TTL index field, so abandoned locks are cleaned up. */
  expiresAt: Date
}

/**
 * A lease per name in its own collection. Times come from this process's clock, like credential expiries,
 * so hosts sharing a database need clocks that agree to well within a lock's TTL.
 */
/** Runs one lock operation on the lock collection, wrapping driver errors (and ensuring the TTL index on acquire). */
export type LockRunner = <T>(
  operation: string,
  run: (locks: Collection<LockDocument>) => Promise<T>,
  token: string,
) => Promise<T>

export function mongoLock(guarded: LockRunner): StoreLock {
  return {
    acquire: (name, token, ttlMs) => guarded('lock acquire', (locks) => acquire(locks, name, token, ttlMs), token),
    release: (name, token) =>
      guarded('lock release', async (locks) => (await locks.deleteOne({ _id: name, token })).deletedCount === 1, token),
    extend: (name, token, ttlMs) =>
      guarded(
        'lock extend',
        async (locks) => {
          const now = Date.now()
          const result = await locks.updateOne(
            { _id: name, token, expiresAt: { $gt: new Date(now) } },
            { $set: { expiresAt: new Date(now + ttlMs) } },
          )
          return result.matchedCount === 1
        },
        token,
      ),
  }
}

async function acquire(locks: Collection<LockDocument>, name: string, token: string, ttlMs: number): Promise<boolean> {
  const now = Date.now()
  try {
    // Matches only an expired lock; when the name is free the upsert inserts it. When a live lock
    // exists the filter misses, the upsert tries to insert the same _id and fails with 11000: held.
    const result = await locks.updateOne(
      { _id: name, expiresAt: { $lte: new Date(now) } },
      { $set: { token, expiresAt: new Date(now + ttlMs) } },
      { upsert: true },
    )
    return result.matchedCount + result.upsertedCount === 1
  } catch (error) {
    if (isDuplicateKeyError(error)) return false
    throw error
  }
}
