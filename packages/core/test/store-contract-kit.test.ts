import { isBridgeError, type CredentialStore, type StoredRecord } from '@open-bridge/core'
import { chaosStore, lockContract, runStoreContract } from '@open-bridge/core/testing'
import { describe, expect, it } from 'vitest'

/**
 * A store whose backend counts TTLs in whole seconds, rounded up (as memcached does): a record or a lock lives
 * on for up to a second past its expiry. Its `get` trusts the backend, so only the contract's
 * `ttlResolution` lets it pass the expiry groups — which is what this file proves the option does.
 */
function wholeSecondStore(name = 'whole-seconds'): CredentialStore {
  const records = new Map<string, { json: string; expiresAt: number | null; dropAt: number | null }>()
  const locks = new Map<string, { token: string; dropAt: number }>()
  const dropAt = (ttlMs: number) => Date.now() + Math.ceil(ttlMs / 1_000) * 1_000
  const liveLock = (lockName: string) => {
    const held = locks.get(lockName)
    return held !== undefined && held.dropAt > Date.now() ? held : undefined
  }
  return {
    name,
    async get(key) {
      const entry = records.get(key)
      if (entry === undefined || (entry.dropAt !== null && entry.dropAt <= Date.now())) return undefined
      return { value: JSON.parse(entry.json), expiresAt: entry.expiresAt }
    },
    async set(key, record: StoredRecord) {
      const ttl = record.expiresAt === null ? null : record.expiresAt - Date.now()
      if (ttl !== null && ttl <= 0) {
        records.delete(key)
        return
      }
      records.set(key, {
        json: JSON.stringify(record.value),
        expiresAt: record.expiresAt,
        dropAt: ttl === null ? null : dropAt(ttl),
      })
    },
    async delete(key) {
      records.delete(key)
    },
    async close() {},
    lock: {
      async acquire(lockName, token, ttlMs) {
        if (liveLock(lockName)) return false
        locks.set(lockName, { token, dropAt: dropAt(ttlMs) })
        return true
      },
      async extend(lockName, token, ttlMs) {
        if (liveLock(lockName)?.token !== token) return false
        locks.set(lockName, { token, dropAt: dropAt(ttlMs) })
        return true
      },
      async release(lockName, token) {
        if (liveLock(lockName)?.token !== token) return false
        return locks.delete(lockName)
      },
    },
  }
}

runStoreContract('a store with TTLs in whole seconds', {
  create: () => wholeSecondStore(),
  lock: true,
  ttlResolution: 1_000,
  // Its failures come from the chaos wrapper: open-bridge errors that carry no value.
  failing: () => {
    const { store, chaos } = chaosStore(wholeSecondStore('whole-seconds-down'))
    chaos.fail()
    return { store }
  },
})

lockContract('a lock with TTLs in whole seconds', { create: () => wholeSecondStore(), ttlResolution: 1_000 })

describe('the contracts check their options where they are called', () => {
  const create = () => wholeSecondStore()
  it.each([
    ['name', () => runStoreContract('', { create })],
    ['options', () => runStoreContract('s', null as never)],
    ['create', () => runStoreContract('s', { create: 'store' as never })],
    ['destroy', () => runStoreContract('s', { create, destroy: 1 as never })],
    ['lock', () => runStoreContract('s', { create, lock: 'yes' as never })],
    ['compareAndSet', () => runStoreContract('s', { create, compareAndSet: 'yes' as never })],
    ['failing', () => runStoreContract('s', { create, failing: true as never })],
    ['ttlResolution', () => runStoreContract('s', { create, ttlResolution: -1 })],
    ['ttlResolution', () => runStoreContract('s', { create, ttlResolution: 0.5 })],
    ['ttlResolution', () => lockContract('l', { create, ttlResolution: Number.NaN })],
    ['create', () => lockContract('l', {} as never)],
  ])('rejects a bad %s with E_INVALID_CONFIG naming it', (field, run) => {
    let error: unknown
    try {
      run()
    } catch (e) {
      error = e
    }
    expect(isBridgeError(error, 'E_INVALID_CONFIG')).toBe(true)
    expect((error as { field?: string }).field).toBe(field)
  })
})
