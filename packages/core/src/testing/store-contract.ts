import { inspect } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBridge } from '../bridge.js'
import { isBridgeError } from '../errors.js'
import type { BridgeEvents } from '../events.js'
import { assertCredentialValue } from '../expiry.js'
import type { CredentialStore, StoredRecord } from '../store.js'
import { checkContractOptions, invalid, type StoreContractOptions, uniquePrefix } from './contract-options.js'
import { everyRendering } from './every-rendering.js'
import { registerCasGroups } from './cas-contract.js'
import { lockOf, registerLockGroups } from './lock-contract.js'
import { registerWatchGroups } from './watch-contract.js'

/**
 * The contract every tier keeps, in named groups: basics, values, expiry, keys, copies, concurrency, sync
 * read, lock, compare-and-set, watch, errors. An adapter's test file calls it once:
 *
 * ```ts
 * import { runStoreContract } from '@open-bridge/core/testing'
 * runStoreContract('redisStore', { create: () => redisStore({ url }), lock: true, failing: … })
 * ```
 *
 * What a store cannot do is declared, and the output lists what was therefore not run and why:
 * `lock: false` (or absent), `compareAndSet: false` (or absent), `watch: false` (or absent), `failing` absent, no `getSync`. `ttlResolution` makes the expiry tests wait past
 * a coarse TTL (whole seconds).
 */
export function runStoreContract(name: string, options: StoreContractOptions): void {
  const { create, destroy, ttlResolution } = checkContractOptions('runStoreContract', name, options)
  const { lock: hasLock = false, compareAndSet: hasCas = false, watch: hasWatch = false, failing } = options
  if (typeof hasLock !== 'boolean') throw invalid('runStoreContract', 'lock', 'must be a boolean')
  if (typeof hasWatch !== 'boolean') throw invalid('runStoreContract', 'watch', 'must be a boolean')
  if (typeof hasCas !== 'boolean') throw invalid('runStoreContract', 'compareAndSet', 'must be a boolean')
  if (failing !== undefined && failing !== false && typeof failing !== 'function')
    throw invalid('runStoreContract', 'failing', 'must be a function that makes a failing store, or false')

  describe(`${name}: store contract`, () => {
    let store: CredentialStore
    let prefix: string
    const key = (suffix: string) => `${prefix}:${suffix}`
    const record = <V extends object>(value: V, lifeMs: number | null = 60_000): StoredRecord<V> => ({
      value,
      expiresAt: lifeMs === null ? null : Date.now() + lifeMs,
    })

    beforeEach(async () => {
      store = await create()
      prefix = uniquePrefix('contract')
    })
    afterEach(async () => {
      await store.close()
      await destroy?.(store)
    })

    describe('basics', () => {
      it('has a name', () => {
        expect(typeof store.name).toBe('string')
        expect(store.name.length).toBeGreaterThan(0)
      })

      it('closes, and closing twice resolves', async () => {
        await expect(store.close()).resolves.toBeUndefined()
        await expect(store.close()).resolves.toBeUndefined()
      })
    })

    describe('values', () => {
      it('resolves undefined for a key never written', async () => {
        expect(await store.get(key('missing'))).toBeUndefined()
      })

      it('returns what was set, with the same absolute expiry', async () => {
        const written = record({ access_token: 'ACCESS_TOKEN', extra: { n: 1, list: [1, 'two', null], ok: true } })
        await store.set(key('access-token'), written)
        const read = await store.get(key('access-token'))
        expect(read).toEqual(written)
        expect(read?.expiresAt).toBe(written.expiresAt)
      })

      it('keeps a record that never expires (expiresAt null)', async () => {
        await store.set(key('forever'), record({ session_key: 'sk' }, null))
        expect(await store.get(key('forever'))).toEqual({ value: { session_key: 'sk' }, expiresAt: null })
      })

      it('replaces a record on set', async () => {
        await store.set(key('replace'), record({ access_token: 'old' }))
        await store.set(key('replace'), record({ access_token: 'new' }, null))
        expect(await store.get(key('replace'))).toEqual({ value: { access_token: 'new' }, expiresAt: null })
      })

      it('deletes a record, and deleting a missing key resolves', async () => {
        await store.set(key('delete'), record({ access_token: 'x' }))
        await store.delete(key('delete'))
        expect(await store.get(key('delete'))).toBeUndefined()
        await expect(store.delete(key('never-there'))).resolves.toBeUndefined()
      })

      it('stores large values intact (256 KiB)', async () => {
        const big = `${'x'.repeat(256 * 1024 - 7)}THE-END`
        await store.set(key('large'), record({ access_token: big }))
        const read = (await store.get(key('large')))?.value as { access_token?: string } | undefined
        expect(read?.access_token?.length).toBe(256 * 1024)
        expect(read?.access_token?.endsWith('THE-END')).toBe(true)
      })

      it('stores unicode keys and values intact', async () => {
        const value = {
          access_token: '令牌🔑',
          note: 'ünïcödé "quoted" \\ back\nslash\ttab \u2028 \u{1F600}',
          中文: '值',
        }
        const unicodeKey = key('用户🙂:session-key')
        await store.set(unicodeKey, record(value))
        expect((await store.get(unicodeKey))?.value).toEqual(value)
        expect(await store.get(key('用户🙂'))).toBeUndefined()
      })

      it('reads back exactly what the bridge accepts: plain JSON, passing the deep value check, no extra field', async () => {
        const value = {
          access_token: 'ACCESS',
          nested: { list: [0, -1.5, 1e21, 'two', null, true, false, { deep: [[]] }], empty: {}, blank: '' },
          unicode: '令牌 \u2028',
        }
        await store.set(key('deep'), { value: structuredClone(value), expiresAt: null })
        const read = await store.get(key('deep'))
        expect(read?.value).toStrictEqual(value)
        expect(() => assertCredentialValue(read?.value, 'value', 'access_token')).not.toThrow()
      })
    })

    describe(ttlResolution > 0 ? `expiry (TTL resolution ${ttlResolution} ms)` : 'expiry', () => {
      it('keeps the remaining life: the expiry read back is the one written, not a fresh TTL', async () => {
        const expiresAt = Date.now() + 3_600_000 - 1_234_567
        await store.set(key('remaining'), { value: { ticket: 't' }, expiresAt })
        await sleep(20)
        expect((await store.get(key('remaining')))?.expiresAt).toBe(expiresAt)
      })

      it('never returns a record whose expiry has passed', async () => {
        await store.set(key('expiring'), record({ access_token: 'short' }, 300))
        expect((await store.get(key('expiring')))?.value).toEqual({ access_token: 'short' })
        await sleep(900 + ttlResolution)
        expect(await store.get(key('expiring'))).toBeUndefined()
        expect(store.getSync?.(key('expiring'))).toBeUndefined()
      })

      it('does not return a record written already expired', async () => {
        await store.set(key('stale'), { value: { access_token: 'stale' }, expiresAt: Date.now() - 1_000 })
        expect(await store.get(key('stale'))).toBeUndefined()
      })
    })

    describe('keys', () => {
      it('keeps keys apart', async () => {
        await store.set(key('a'), record({ access_token: 'a' }))
        await store.set(key('b'), record({ access_token: 'b' }))
        await store.delete(key('a'))
        expect(await store.get(key('a'))).toBeUndefined()
        expect((await store.get(key('b')))?.value).toEqual({ access_token: 'b' })
      })
    })

    describe('copies', () => {
      it('keeps its own copy: changing the written object afterwards changes nothing stored', async () => {
        const written = record({ access_token: 'original', nested: { a: 1 } })
        await store.set(key('copy'), written)
        written.value.access_token = 'changed'
        written.value.nested.a = 2
        expect((await store.get(key('copy')))?.value).toEqual({ access_token: 'original', nested: { a: 1 } })
      })
    })

    describe('concurrency', () => {
      it('settles concurrent writes to one key on one intact value', async () => {
        const writes = Array.from({ length: 50 }, (_, i) => ({ access_token: `token-${i}`, i }))
        await Promise.all(writes.map((value) => store.set(key('race'), record(value))))
        const read = await store.get(key('race'))
        expect(writes).toContainEqual(read?.value)
      })

      it('serves many concurrent reads', async () => {
        await store.set(key('reads'), record({ access_token: 'r' }))
        const reads = await Promise.all(Array.from({ length: 100 }, () => store.get(key('reads'))))
        for (const read of reads) expect(read?.value).toEqual({ access_token: 'r' })
      })
    })

    describe('sync read', () => {
      it('agrees between getSync and get when it has getSync (a store without it: getSync is undefined)', async () => {
        if (!store.getSync) {
          expect(store.getSync).toBeUndefined()
          return
        }
        await store.set(key('sync'), record({ access_token: 's' }))
        expect(store.getSync(key('sync'))).toEqual(await store.get(key('sync')))
      })

      it('getSync(key, now) judges expiry by the `now` it is given (the caller read the clock once)', async () => {
        if (!store.getSync) {
          expect(store.getSync).toBeUndefined()
          return
        }
        const expiresAt = Date.now() + 60_000
        await store.set(key('sync-now'), { value: { access_token: 'n' }, expiresAt })
        expect(store.getSync(key('sync-now'), expiresAt - 1)?.value).toEqual({ access_token: 'n' })
        expect(store.getSync(key('sync-now'), expiresAt)).toBeUndefined()
        expect(store.getSync(key('sync-now'), expiresAt + 60_000)).toBeUndefined()
      })
    })

    const noLock = 'not run: the store declares no lock (lock: false)'
    describe(hasLock ? 'lock' : `lock (${noLock})`, () => {
      it(hasLock ? 'offers a lock' : 'offers no lock (declared): store.lock is undefined', () => {
        expect(store.lock !== undefined).toBe(hasLock)
      })
      // A store declared without a lock: the test above proves it offers none; the lock groups do not apply.
      if (hasLock) registerLockGroups(() => ({ store, lock: lockOf(store), name: key, ttlResolution }))
    })

    const noCas = 'not run: the store declares no compareAndSet (compareAndSet: false)'
    describe(hasCas ? 'compare-and-set' : `compare-and-set (${noCas})`, () => {
      it(
        hasCas
          ? 'offers compareAndSet'
          : 'offers no compareAndSet (declared): writes under its lock are fenced by a lease check',
        () => {
          expect(typeof store.compareAndSet === 'function').toBe(hasCas)
        },
      )
      if (hasCas) registerCasGroups(() => ({ store, key, ttlResolution }))
    })

    const noWatch = 'not run: the store declares no watch (watch: false)'
    describe(hasWatch ? 'watch' : `watch (${noWatch})`, () => {
      it(hasWatch ? 'offers watch' : 'offers no watch (declared): waiters poll', () => {
        expect(typeof store.watch === 'function').toBe(hasWatch)
      })
      if (hasWatch) registerWatchGroups(() => ({ store, other: async () => await create(), key }))
    })

    describe('errors', () => {
      if (failing === false) {
        it('cannot fail (declared)', () => {
          expect(failing).toBe(false)
        })
        return
      }
      const refusal =
        'a refused operation rejects with an open-bridge error that carries neither the value nor a secret, nor do tier-error events'
      if (failing === undefined) {
        it(refusal, (ctx) => ctx.skip('not run: no `failing` store was given (failing: false declares none)'))
        return
      }
      it(refusal, async () => {
        const made = await failing()
        const token = `TOKEN-${Math.random().toString(36).slice(2)}-SECRET`
        const refusedKey = key('refused')
        const errors: unknown[] = []
        const events: BridgeEvents['tier-error'][] = []
        try {
          for (const attempt of [
            () =>
              made.store.set(refusedKey, {
                value: { access_token: token, nested: { again: token } },
                expiresAt: Date.now() + 60_000,
              }),
            () => made.store.set(refusedKey, { value: { access_token: token }, expiresAt: null }),
            () => made.store.get(refusedKey),
            () => made.store.delete(refusedKey),
          ]) {
            try {
              await attempt()
            } catch (error) {
              errors.push(error)
            }
          }
          // Through a bridge, as an application sees it: what a logger of `tier-error` events would print.
          const bridge = createBridge({ stores: [made.store] })
          bridge.on('tier-error', (event) => void events.push(event))
          const appKey = { appid: `wxcontract${prefix.slice(-6)}`, platform: 'weixin-mp' } as const
          await bridge
            .setAccessToken(appKey, { access_token: token }, 3600)
            .catch((error: unknown) => errors.push(error))
          await bridge.getAccessToken(appKey).catch((error: unknown) => errors.push(error))
          await bridge.close()
        } finally {
          await made.store.close().catch((error: unknown) => errors.push(error))
          await made.cleanup?.()
        }
        expect(events.length).toBeGreaterThanOrEqual(1)
        for (const event of events) {
          expect(isBridgeError(event.error), `tier-error not an open-bridge error: ${inspect(event.error)}`).toBe(true)
          const shown = everyRendering(event)
          expect(shown).not.toContain(token)
          for (const secret of made.secrets ?? []) expect(shown).not.toContain(secret)
        }
        // At least the writes must have been refused, or the failing store does not fail.
        expect(errors.length).toBeGreaterThanOrEqual(2)
        for (const error of errors) {
          expect(isBridgeError(error), `not an open-bridge error: ${inspect(error)}`).toBe(true)
          const shown = everyRendering(error)
          expect(shown).not.toContain(token)
          for (const secret of made.secrets ?? []) expect(shown).not.toContain(secret)
        }
      })
    })
  })
}
