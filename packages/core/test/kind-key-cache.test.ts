import { createBridge, isBridgeError, keyField, memoryStore, registerKind } from '@open-bridge/core'
import { describe, expect, it } from 'vitest'
import { KindKeyCache } from '../src/kind-key-cache.js'
import { registeredKind } from '../src/kind-registry.js'

/** Two key fields, one a number: the cache has two levels. */
const corp = registerKind<{ corpid: string; agentid: number }, { access_token: string }>({
  name: 'test_cached_corp_token',
  keyFields: { corpid: keyField.segment(), agentid: keyField.integer(1) },
  storageKey: ({ corpid, agentid }) => `cache-test:${corpid}:${agentid}:corp-token`,
  credentialField: 'access_token',
})

/** A field whose check accepts an object: such a value may change after its check, so it is never cached. */
interface Tenant {
  id: string
}
const byTenant = registerKind<{ tenant: Tenant; suite?: string }, { access_token: string }>({
  name: 'test_cached_tenant_token',
  keyFields: {
    tenant: (value) =>
      typeof value === 'object' && value !== null && typeof (value as Tenant).id === 'string'
        ? undefined
        : 'must be a tenant',
    suite: keyField.optionalSegment(),
  },
  storageKey: ({ tenant, suite }) => `cache-test:${tenant.id}:${suite ?? '-'}`,
  credentialField: 'access_token',
})

function codeOf(call: () => unknown): { code: string; field?: string } {
  try {
    call()
  } catch (error) {
    expect(isBridgeError(error)).toBe(true)
    return error as { code: string; field?: string }
  }
  throw new Error('expected a refusal')
}

describe("a registered kind's storage-key cache", () => {
  const kind = registeredKind(corp.name)!

  it('answers each key its own storage key, the same as the kind’s layout, on first sight and from the cache', () => {
    const cache = new KindKeyCache(kind)
    for (let round = 0; round < 3; round++) {
      for (const corpid of ['ww1', 'ww2']) {
        for (const agentid of [1, 2, 1000002]) {
          expect(cache.storageKey({ corpid, agentid })).toBe(`cache-test:${corpid}:${agentid}:corp-token`)
        }
      }
    }
    expect(cache.size).toBe(6)
  })

  it('a kind of three fields and one of one field: each key its own storage key', () => {
    const three = registerKind<{ a: string; b: string; c: number }, { t: string }>({
      name: 'test_cached_three',
      keyFields: { a: keyField.segment(), b: keyField.segment(), c: keyField.integer(0) },
      storageKey: ({ a, b, c }) => `cache-test:${a}:${b}:${c}`,
      credentialField: 't',
    })
    const one = registerKind<{ a: string }, { t: string }>({
      name: 'test_cached_one',
      keyFields: { a: keyField.segment() },
      storageKey: ({ a }) => `cache-test:${a}`,
      credentialField: 't',
    })
    const byThree = new KindKeyCache(registeredKind(three.name)!)
    const byOne = new KindKeyCache(registeredKind(one.name)!)
    for (let round = 0; round < 2; round++) {
      for (const a of ['x', 'y']) {
        expect(byOne.storageKey({ a })).toBe(`cache-test:${a}`)
        for (const b of ['p', 'q']) {
          for (const c of [0, 1]) expect(byThree.storageKey({ a, b, c })).toBe(`cache-test:${a}:${b}:${c}`)
        }
      }
      expect(codeOf(() => byThree.storageKey({ a: 'x', b: 'p', c: -1 }))).toMatchObject({ field: 'key.c' })
    }
    expect(byThree.size).toBe(8)
    expect(byOne.size).toBe(2)
  })

  it('checks every key it has not seen: an invalid one is E_INVALID_KEY naming the field, before and after hits', () => {
    const cache = new KindKeyCache(kind)
    const bad = [
      ['key.corpid', { corpid: 'a:b', agentid: 1 }],
      ['key.corpid', { agentid: 1 }],
      ['key.agentid', { corpid: 'ww1', agentid: 0 }],
      ['key.agentid', { corpid: 'ww1', agentid: '1' }],
      ['key.agentid', { corpid: 'ww1', agentid: -0 }],
      ['key', null],
    ] as const
    for (let round = 0; round < 2; round++) {
      for (const [field, key] of bad)
        expect(codeOf(() => cache.storageKey(key))).toMatchObject({ code: 'E_INVALID_KEY', field })
      expect(cache.storageKey({ corpid: 'ww1', agentid: 1 })).toBe('cache-test:ww1:1:corp-token')
    }
    // Nothing invalid was cached.
    expect(cache.size).toBe(1)
  })

  it('never caches an object value: a tenant object changed after a call gets the storage key of what it holds now', () => {
    const cache = new KindKeyCache(registeredKind(byTenant.name)!)
    const tenant = { id: 't1' }
    expect(cache.storageKey({ tenant })).toBe('cache-test:t1:-')
    tenant.id = 't2'
    expect(cache.storageKey({ tenant })).toBe('cache-test:t2:-')
    tenant.id = 42 as never
    expect(codeOf(() => cache.storageKey({ tenant }))).toMatchObject({ code: 'E_INVALID_KEY', field: 'key.tenant' })
    expect(cache.size).toBe(0)
  })

  it('holds at most two generations, and a key read from the previous one keeps answering its own storage key', () => {
    const cache = new KindKeyCache(kind, 10)
    for (let i = 1; i <= 100; i++) cache.storageKey({ corpid: 'ww1', agentid: i })
    expect(cache.size).toBeLessThanOrEqual(20)
    expect(cache.size).toBeGreaterThan(10)
    // Keys of dropped and kept generations alike answer correctly (a stale string for another key would show here).
    for (let i = 1; i <= 100; i++)
      expect(cache.storageKey({ corpid: 'ww1', agentid: i })).toBe(`cache-test:ww1:${i}:corp-token`)
  })

  it('through the bridge: keys that share a corpid but not an agentid read their own values', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const handle = bridge.credential(corp)
    await handle.set({ corpid: 'ww9', agentid: 1 }, { access_token: 'one' }, 60)
    await handle.set({ corpid: 'ww9', agentid: 2 }, { access_token: 'two' }, 60)
    for (let round = 0; round < 3; round++) {
      expect(await handle.get({ corpid: 'ww9', agentid: 1 })).toEqual({ access_token: 'one' })
      expect(await handle.get({ corpid: 'ww9', agentid: 2 })).toEqual({ access_token: 'two' })
      expect(await handle.get({ corpid: 'ww9', agentid: 3 })).toBeNull()
      // The name-based generic API shares the layout.
      expect(await bridge.get(corp.name as never, { corpid: 'ww9', agentid: 2 } as never)).toEqual({
        access_token: 'two',
      })
    }
    await expect(handle.get({ corpid: 'ww9', agentid: 0 })).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
      field: 'key.agentid',
    })
    await bridge.close()
    await expect(handle.get({ corpid: 'ww9', agentid: 1 })).rejects.toMatchObject({ code: 'E_CLOSED' })
  })
})
