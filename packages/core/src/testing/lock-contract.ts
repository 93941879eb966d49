import { describe, expect, it } from 'vitest'
import type { CredentialStore, StoreLock } from '../store.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * The lease every lock-capable tier offers. Runs inside the store contract: `getStore` is the store of the
 * current test, `name` makes a name unique to it.
 */
export function lockContract(getStore: () => CredentialStore, name: (suffix: string) => string): void {
  describe('lock', () => {
    const lockOf = (): StoreLock => {
      const lock = getStore().lock
      if (!lock) throw new Error('the store declared a lock but store.lock is undefined')
      return lock
    }

    it('acquires a free lock and refuses it to another token while held', async () => {
      const lock = lockOf()
      expect(await lock.acquire(name('lock'), 'token-a', 10_000)).toBe(true)
      expect(await lock.acquire(name('lock'), 'token-b', 10_000)).toBe(false)
      expect(await lock.acquire(name('lock'), 'token-a', 10_000)).toBe(false)
    })

    it('releases only for the holder: a wrong token frees nothing', async () => {
      const lock = lockOf()
      expect(await lock.acquire(name('lock'), 'holder', 10_000)).toBe(true)
      expect(await lock.release(name('lock'), 'intruder')).toBe(false)
      expect(await lock.acquire(name('lock'), 'intruder', 10_000)).toBe(false)
      expect(await lock.release(name('lock'), 'holder')).toBe(true)
      expect(await lock.release(name('lock'), 'holder')).toBe(false)
      expect(await lock.acquire(name('lock'), 'intruder', 10_000)).toBe(true)
    })

    it('frees a lock whose holder never released it once its TTL has passed', async () => {
      const lock = lockOf()
      expect(await lock.acquire(name('lock'), 'crashed', 250)).toBe(true)
      expect(await lock.acquire(name('lock'), 'next', 10_000)).toBe(false)
      await sleep(800)
      expect(await lock.acquire(name('lock'), 'next', 10_000)).toBe(true)
      expect(await lock.release(name('lock'), 'crashed')).toBe(false)
    })

    it('extends only for the holder, and an extended lock outlives its first TTL', async () => {
      const lock = lockOf()
      expect(await lock.acquire(name('lock'), 'holder', 300)).toBe(true)
      expect(await lock.extend(name('lock'), 'intruder', 10_000)).toBe(false)
      expect(await lock.extend(name('lock'), 'holder', 10_000)).toBe(true)
      await sleep(800)
      expect(await lock.acquire(name('lock'), 'intruder', 10_000)).toBe(false)
      expect(await lock.extend(name('free'), 'nobody', 10_000)).toBe(false)
    })

    it('gives a contended lock to exactly one of many concurrent callers', async () => {
      const lock = lockOf()
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => lock.acquire(name('contended'), `token-${i}`, 10_000)),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
    })

    it('keeps locks apart from credentials of the same name', async () => {
      const lock = lockOf()
      const store = getStore()
      const shared = name('access-token')
      await store.set(shared, { value: { access_token: 'kept' }, expiresAt: null })
      expect(await lock.acquire(shared, 'holder', 10_000)).toBe(true)
      expect((await store.get(shared))?.value).toEqual({ access_token: 'kept' })
      await store.delete(shared)
      expect(await lock.acquire(shared, 'other', 10_000)).toBe(false)
      expect(await lock.release(shared, 'holder')).toBe(true)
    })
  })
}
