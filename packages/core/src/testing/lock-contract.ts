import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CredentialStore, StoreLock } from '../store.js'
import { checkContractOptions, type LockContractOptions, uniquePrefix } from './contract-options.js'

/** What a lock test is given: the store of the current test, a name unique to it, the store's TTL resolution. */
interface LockTestContext {
  store: CredentialStore
  lock: StoreLock
  name: (suffix: string) => string
  ttlResolution: number
}

interface LockTest {
  title: string
  run: (context: LockTestContext) => Promise<void>
}

/** The lease every lock-capable tier offers, in the groups the output shows. */
const LOCK_GROUPS: Record<string, LockTest[]> = {
  exclusion: [
    {
      title: 'acquires a free lock and refuses it to another token while held',
      async run({ lock, name }) {
        expect(await lock.acquire(name('lock'), 'token-a', 10_000)).toBe(true)
        expect(await lock.acquire(name('lock'), 'token-b', 10_000)).toBe(false)
        expect(await lock.acquire(name('lock'), 'token-a', 10_000)).toBe(false)
      },
    },
    {
      title: 'gives a contended lock to exactly one of many concurrent callers',
      async run({ lock, name }) {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => lock.acquire(name('contended'), `token-${i}`, 10_000)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
      },
    },
  ],
  release: [
    {
      title: 'releases only for the holder: a wrong token frees nothing',
      async run({ lock, name }) {
        expect(await lock.acquire(name('lock'), 'holder', 10_000)).toBe(true)
        expect(await lock.release(name('lock'), 'intruder')).toBe(false)
        expect(await lock.acquire(name('lock'), 'intruder', 10_000)).toBe(false)
        expect(await lock.release(name('lock'), 'holder')).toBe(true)
        expect(await lock.release(name('lock'), 'holder')).toBe(false)
        expect(await lock.acquire(name('lock'), 'intruder', 10_000)).toBe(true)
      },
    },
  ],
  expiry: [
    {
      title: 'frees a lock whose holder never released it once its TTL has passed',
      async run({ lock, name, ttlResolution }) {
        expect(await lock.acquire(name('lock'), 'crashed', 250)).toBe(true)
        expect(await lock.acquire(name('lock'), 'next', 10_000)).toBe(false)
        await sleep(800 + ttlResolution)
        expect(await lock.acquire(name('lock'), 'next', 10_000)).toBe(true)
        expect(await lock.release(name('lock'), 'crashed')).toBe(false)
      },
    },
    {
      title: 'extends only for the holder, and an extended lock outlives its first TTL',
      async run({ lock, name, ttlResolution }) {
        expect(await lock.acquire(name('lock'), 'holder', 300)).toBe(true)
        expect(await lock.extend(name('lock'), 'intruder', 10_000)).toBe(false)
        expect(await lock.extend(name('lock'), 'holder', 10_000)).toBe(true)
        await sleep(800 + ttlResolution)
        expect(await lock.acquire(name('lock'), 'intruder', 10_000)).toBe(false)
        expect(await lock.extend(name('free'), 'nobody', 10_000)).toBe(false)
      },
    },
  ],
  'apart from credentials': [
    {
      title: 'keeps locks apart from credentials of the same name',
      async run({ store, lock, name }) {
        const shared = name('access-token')
        await store.set(shared, { value: { access_token: 'kept' }, expiresAt: null })
        expect(await lock.acquire(shared, 'holder', 10_000)).toBe(true)
        expect((await store.get(shared))?.value).toEqual({ access_token: 'kept' })
        await store.delete(shared)
        expect(await lock.acquire(shared, 'other', 10_000)).toBe(false)
        expect(await lock.release(shared, 'holder')).toBe(true)
      },
    },
  ],
}

/**
 * Registers the lock groups inside the current `describe`. `context` is read when a test runs (the store
 * of the current test).
 */
export function registerLockGroups(context: () => LockTestContext): void {
  for (const [group, tests] of Object.entries(LOCK_GROUPS)) {
    describe(group, () => {
      for (const test of tests) it(test.title, () => test.run(context()))
    })
  }
}

/** The lock of `store`, or a failure saying the store was declared with a lock it does not have. */
export function lockOf(store: CredentialStore): StoreLock {
  const lock = store.lock
  expect(lock, `the store ${store.name} was declared with a lock, but store.lock is undefined`).toBeDefined()
  return lock as StoreLock
}

/**
 * The lease a lock-capable tier offers, on its own: exclusion, release by the holder only, expiry and
 * extension, locks kept apart from credentials. `runStoreContract(name, { lock: true, … })` runs these
 * groups for you; call this one for a lock tested apart from the rest of its store.
 *
 * ```ts
 * import { lockContract } from '@open-bridge/core/testing'
 * lockContract('redisStore lock', { create: () => redisStore({ url }) })
 * ```
 */
export function lockContract(name: string, options: LockContractOptions): void {
  const { create, destroy, ttlResolution } = checkContractOptions('lockContract', name, options)
  describe(`${name}: lock contract`, () => {
    let store: CredentialStore
    let prefix: string
    beforeEach(async () => {
      store = await create()
      prefix = uniquePrefix('lock-contract')
    })
    afterEach(async () => {
      await store.close()
      await destroy?.(store)
    })
    registerLockGroups(() => ({
      store,
      lock: lockOf(store),
      name: (suffix) => `${prefix}:${suffix}`,
      ttlResolution,
    }))
  })
}
