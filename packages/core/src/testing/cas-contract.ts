import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { CredentialStore, StoredRecord } from '../store.js'

/** What a compare-and-set test is given: the store of the current test and a key unique to it. */
interface CasTestContext {
  store: CredentialStore
  key: (suffix: string) => string
  ttlResolution: number
}

type CompareAndSet = NonNullable<CredentialStore['compareAndSet']>

const record = (token: string, lifeMs: number | null = 60_000): StoredRecord => ({
  value: { access_token: token },
  expiresAt: lifeMs === null ? null : Date.now() + lifeMs,
})

/** The store's compare-and-set, or a failure saying it was declared with one it does not have. */
function casOf(store: CredentialStore): CompareAndSet {
  expect(store.compareAndSet, `the store ${store.name} was declared with compareAndSet, but has none`).toBeTypeOf(
    'function',
  )
  return store.compareAndSet!.bind(store)
}

/**
 * The fence of a write made under the refresh lock: the write lands only over the record the holder saw (or over
 * nothing live when it saw nothing), in one atomic step.
 */
const CAS_GROUPS: Record<string, { title: string; run: (context: CasTestContext) => Promise<void> }[]> = {
  'compare-and-set: writes': [
    {
      title: 'writes over the very record get returned, keeping the new absolute expiry',
      async run({ store, key }) {
        const cas = casOf(store)
        await store.set(key('k'), record('seen'))
        const seen = await store.get(key('k'))
        const next = record('next', 120_000)
        expect(await cas(key('k'), seen, next)).toBe(true)
        const now = await store.get(key('k'))
        expect(now?.value).toEqual({ access_token: 'next' })
        expect(now?.expiresAt).toBe(next.expiresAt)
      },
    },
    {
      title: 'writes when nothing was seen and nothing is stored; a record that never expires too',
      async run({ store, key }) {
        const cas = casOf(store)
        expect(await cas(key('k'), undefined, record('first', null))).toBe(true)
        expect(await store.get(key('k'))).toEqual({ value: { access_token: 'first' }, expiresAt: null })
        const seen = await store.get(key('k'))
        expect(await cas(key('k'), seen, record('second'))).toBe(true)
        expect((await store.get(key('k')))?.value).toEqual({ access_token: 'second' })
      },
    },
    {
      title: 'writes when what was seen has expired and nothing live is stored',
      async run({ store, key, ttlResolution }) {
        const cas = casOf(store)
        await store.set(key('k'), record('short', 200))
        const seen = await store.get(key('k'))
        await sleep(400 + ttlResolution)
        expect(await cas(key('k'), seen, record('after'))).toBe(true)
        expect((await store.get(key('k')))?.value).toEqual({ access_token: 'after' })
      },
    },
  ],
  'compare-and-set: refusals': [
    {
      title: 'refuses when another writer replaced the record seen, and leaves the newer one alone',
      async run({ store, key }) {
        const cas = casOf(store)
        await store.set(key('k'), record('seen'))
        const seen = await store.get(key('k'))
        await store.set(key('k'), record('newer', 90_000))
        expect(await cas(key('k'), seen, record('paused-holder', 120_000))).toBe(false)
        expect((await store.get(key('k')))?.value).toEqual({ access_token: 'newer' })
      },
    },
    {
      title: 'refuses when nothing was seen but a live record is stored now',
      async run({ store, key }) {
        const cas = casOf(store)
        await store.set(key('k'), record('written-meanwhile'))
        expect(await cas(key('k'), undefined, record('paused-holder'))).toBe(false)
        expect((await store.get(key('k')))?.value).toEqual({ access_token: 'written-meanwhile' })
      },
    },
    {
      title: 'refuses a record with the same value but another expiry (a rewrite of the same credential)',
      async run({ store, key }) {
        const cas = casOf(store)
        await store.set(key('k'), record('same', 60_000))
        const seen = await store.get(key('k'))
        await store.set(key('k'), { value: { access_token: 'same' }, expiresAt: seen!.expiresAt! + 5_000 })
        expect(await cas(key('k'), seen, record('late'))).toBe(false)
        expect((await store.get(key('k')))?.value).toEqual({ access_token: 'same' })
      },
    },
    {
      title: 'refuses when the record seen (still live) was deleted meanwhile',
      async run({ store, key }) {
        const cas = casOf(store)
        await store.set(key('k'), record('seen'))
        const seen = await store.get(key('k'))
        await store.delete(key('k'))
        expect(await cas(key('k'), seen, record('x'))).toBe(false)
        expect(await store.get(key('k'))).toBeUndefined()
      },
    },
  ],
  'compare-and-set: concurrency': [
    {
      title: 'of many concurrent writers that saw the same record, exactly one lands',
      async run({ store, key }) {
        const cas = casOf(store)
        await store.set(key('k'), record('seen'))
        const seen = await store.get(key('k'))
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => cas(key('k'), seen, record(`writer-${i}`))),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = results.indexOf(true)
        expect((await store.get(key('k')))?.value).toEqual({ access_token: `writer-${winner}` })
      },
    },
  ],
}

/** Registers the compare-and-set groups inside the current `describe`; `context` is read when a test runs. */
export function registerCasGroups(context: () => CasTestContext): void {
  for (const [group, tests] of Object.entries(CAS_GROUPS)) {
    describe(group, () => {
      for (const test of tests) it(test.title, () => test.run(context()))
    })
  }
}
