import { setTimeout as sleep } from 'node:timers/promises'
import { createBridge, isBridgeError, memoryStore, type BridgeEvents } from '@open-bridge/core'
import { chaosStore } from '@open-bridge/core/testing'
import { describe, expect, it } from 'vitest'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }
const storageKey = 'uni-id:weixin-mp:wx123:access-token'

describe('the tier chain', () => {
  it('reads nearest first and back-fills upper tiers with the remaining life, not a fresh TTL', async () => {
    const near = memoryStore({ name: 'near' })
    const far = memoryStore({ name: 'far' })
    const bridge = createBridge({ stores: [near, far] })
    const expiresAt = Date.now() + 90_000
    await far.set(storageKey, { value: { access_token: 'from-far' }, expiresAt })

    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'from-far' })
    expect(await near.get(storageKey)).toEqual({ value: { access_token: 'from-far' }, expiresAt })
    await bridge.close()
  })

  it('a back-filled copy expires when the original does', async () => {
    const near = memoryStore({ name: 'near' })
    const far = memoryStore({ name: 'far' })
    const bridge = createBridge({ stores: [near, far] })
    await far.set(storageKey, { value: { access_token: 'brief' }, expiresAt: Date.now() + 300 })
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'brief' })
    await sleep(800)
    expect(await near.get(storageKey)).toBeUndefined()
    expect(await bridge.getAccessToken(key)).toBeNull()
    await bridge.close()
  })

  it('set writes every tier, remove deletes from every tier', async () => {
    const tiers = [memoryStore({ name: 'a' }), memoryStore({ name: 'b' }), memoryStore({ name: 'c' })]
    const bridge = createBridge({ stores: tiers })
    await bridge.setAccessToken(key, { access_token: 'everywhere' }, 60)
    for (const tier of tiers) expect((await tier.get(storageKey))?.value).toEqual({ access_token: 'everywhere' })
    await bridge.removeAccessToken(key)
    for (const tier of tiers) expect(await tier.get(storageKey)).toBeUndefined()
    await bridge.close()
  })

  it('a fallback result is written back to every tier', async () => {
    const tiers = [memoryStore({ name: 'a' }), memoryStore({ name: 'b' })]
    const bridge = createBridge({ stores: tiers })
    await bridge.getAccessToken(key, async () => ({ value: { access_token: 'filled' }, duration: 60 }))
    for (const tier of tiers) expect((await tier.get(storageKey))?.value).toEqual({ access_token: 'filled' })
    await bridge.close()
  })

  it('a throwing tier is skipped with a tier-error event, and the value comes from the next tier', async () => {
    // A network tier (no getSync) over a real memory store, switched to fail as Redis does when it goes away.
    const inner = memoryStore({ name: 'redis' })
    const broken = chaosStore(inner, { hide: ['getSync'] })
    const durable = memoryStore({ name: 'sqlite' })
    // Without the breaker (tested on its own): every call here goes to the broken tier and is reported.
    const bridge = createBridge({ stores: [broken.store, durable], breaker: false })
    const events: BridgeEvents['tier-error'][] = []
    bridge.on('tier-error', (event) => events.push(event))
    await bridge.setAccessToken(key, { access_token: 'TOKEN-VALUE' }, 60)

    broken.chaos.fail()
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'TOKEN-VALUE' })
    expect(events).toHaveLength(2) // the failed read, then the failed back-fill
    expect(events.map((e) => [e.tier, e.operation, e.storageKey])).toEqual([
      ['redis', 'get', storageKey],
      ['redis', 'set', storageKey],
    ])
    expect(JSON.stringify(events.map(({ error, ...rest }) => ({ ...rest, error: String(error) })))).not.toContain(
      'TOKEN-VALUE',
    )

    // Writes and deletes carry on past the broken tier too.
    await bridge.setAccessToken(key, { access_token: 'newer' }, 60)
    expect((await durable.get(storageKey))?.value).toEqual({ access_token: 'newer' })

    // And once it recovers, it is used again.
    broken.chaos.heal()
    await bridge.setAccessToken(key, { access_token: 'after recovery' }, 60)
    expect((await inner.get(storageKey))?.value).toEqual({ access_token: 'after recovery' })
    await bridge.close()
  })

  it('a synchronous nearest tier that throws is asked once per read and reported once', async () => {
    // A synchronous tier (SQLite is one) fails synchronously, as when its file is locked.
    const near = chaosStore(memoryStore({ name: 'sqlite' }))
    const far = memoryStore({ name: 'far' })
    const bridge = createBridge({ stores: [near.store, far] })
    await bridge.setAccessToken(key, { access_token: 'from far' }, 60)
    near.chaos.fail()
    near.chaos.resetCalls()
    const events: string[] = []
    bridge.on('tier-error', (e) => events.push(`${e.tier}:${e.operation}`))
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'from far' })
    expect(events).toEqual(['sqlite:get', 'sqlite:set'])
    expect(near.chaos.calls.getSync + near.chaos.calls.get).toBe(1)
    await bridge.close()
  })

  it('a nearest tier that misses is not asked again before the next tier', async () => {
    const near = chaosStore(memoryStore({ name: 'near' }))
    const far = memoryStore({ name: 'far' })
    const bridge = createBridge({ stores: [near.store, far] })
    await far.set(storageKey, { value: { access_token: 'far' }, expiresAt: null })
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'far' })
    expect(near.chaos.calls.getSync).toBe(1)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'far' })
    expect(near.chaos.calls.getSync).toBe(2)
    expect(near.chaos.calls.get).toBe(0)
    await bridge.close()
  })

  it('when every tier fails: reads use the fallback, else reject E_STORE_UNAVAILABLE; a set rejects too', async () => {
    const a = chaosStore(memoryStore({ name: 'a' }), { hide: ['getSync'] })
    const b = chaosStore(memoryStore({ name: 'b' }), { hide: ['getSync'] })
    a.chaos.fail()
    b.chaos.fail()
    const bridge = createBridge({ stores: [a.store, b.store], breaker: false })
    const errors: string[] = []
    bridge.on('tier-error', (e) => errors.push(`${e.tier}:${e.operation}`))

    const read = await bridge.getAccessToken(key).catch((e: unknown) => e)
    expect(isBridgeError(read, 'E_STORE_UNAVAILABLE')).toBe(true)
    expect(
      await bridge.getAccessToken(key, async () => ({ value: { access_token: 'from fallback' }, duration: 60 })),
    ).toEqual({
      access_token: 'from fallback',
    })
    const write = await bridge.setAccessToken(key, { access_token: 'x' }, 60).catch((e: unknown) => e)
    expect(isBridgeError(write, 'E_STORE_UNAVAILABLE')).toBe(true)
    expect(errors).toContain('a:get')
    expect(errors).toContain('b:set')
    await bridge.close()
  })

  it('one network tier alone (no getSync): hits, misses an expired record, and a rejecting or throwing tier is a tier-error', async () => {
    const inner = memoryStore({ name: 'redis' })
    const only = chaosStore(inner, { hide: ['getSync'] })
    const bridge = createBridge({ stores: [only.store], breaker: false })
    const errors: string[] = []
    bridge.on('tier-error', (e) => errors.push(`${e.tier}:${e.operation}`))
    await bridge.setAccessToken(key, { access_token: 'alone' }, 60)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'alone' })
    // A tier that hands back an expired record (a replica behind its primary): a miss, not the record.
    const stale = { value: { access_token: 'stale' }, expiresAt: Date.now() - 1 }
    const lagging = createBridge({ stores: [{ ...only.store, get: async () => stale }], breaker: false })
    expect(await lagging.getAccessToken(key)).toBeNull()
    await lagging.close()

    only.chaos.fail()
    const rejected = await bridge.getAccessToken(key).catch((e: unknown) => e)
    expect(isBridgeError(rejected, 'E_STORE_UNAVAILABLE')).toBe(true)
    only.chaos.heal()
    // A store whose get throws instead of rejecting: the same answer, never a TypeError from the chain.
    const throwing = createBridge({
      stores: [
        {
          ...only.store,
          get: () => {
            throw new Error('thrown, not rejected')
          },
        },
      ],
      breaker: false,
    })
    const thrownErrors: string[] = []
    throwing.on('tier-error', (e) => thrownErrors.push(`${e.tier}:${e.operation}`))
    const thrown = await throwing.getAccessToken(key).catch((e: unknown) => e)
    expect(isBridgeError(thrown, 'E_STORE_UNAVAILABLE')).toBe(true)
    expect(errors).toEqual(['redis:get'])
    expect(thrownErrors).toEqual(['redis:get'])
    await throwing.close()
    await bridge.close()
  })

  describe.each([
    ['one network tier', false],
    ['memory over a network tier', true],
  ])('concurrent reads of one key (%s)', (_name, withMemory) => {
    /** A network tier whose reads answer what the key held when they were asked, once `release` is called. */
    function heldReads() {
      const inner = memoryStore({ name: 'net' })
      let gets = 0
      const waiting: Array<() => void> = []
      const store = {
        name: 'net',
        get: async (k: string) => {
          gets++
          const snapshot = await inner.get(k)
          await new Promise<void>((resolve) => waiting.push(resolve))
          return snapshot
        },
        set: (k: string, r: Parameters<typeof inner.set>[1]) => inner.set(k, r),
        delete: (k: string) => inner.delete(k),
        close: () => inner.close(),
      }
      return {
        store,
        gets: () => gets,
        release: () => {
          for (const resolve of waiting.splice(0)) resolve()
        },
      }
    }
    const chainOf = (net: ReturnType<typeof heldReads>['store']) =>
      withMemory ? [memoryStore({ name: 'near', maxTtl: 1 }), net] : [net]

    it('share one read of the tiers while it is in flight', async () => {
      const net = heldReads()
      await net.store.set(storageKey, { value: { access_token: 'shared' }, expiresAt: Date.now() + 60_000 })
      const bridge = createBridge({ stores: chainOf(net.store), breaker: false })
      const reads = Array.from({ length: 50 }, () => bridge.getAccessToken(key))
      await sleep(20)
      net.release()
      for (const value of await Promise.all(reads)) expect(value).toEqual({ access_token: 'shared' })
      expect(net.gets()).toBe(1)
      await bridge.close()
    })

    it('a read that starts after a write of the key does not join a read begun before it', async () => {
      const net = heldReads()
      await net.store.set(storageKey, { value: { access_token: 'old' }, expiresAt: Date.now() + 60_000 })
      const bridge = createBridge({ stores: chainOf(net.store), breaker: false })
      const before = bridge.getAccessToken(key)
      await sleep(20)
      await bridge.setAccessToken(key, { access_token: 'new' }, 60)
      // With a memory tier in front the write is there; a memory copy that lapsed reads through again.
      await sleep(withMemory ? 30 : 0)
      const after = bridge.getAccessToken(key)
      await sleep(20)
      net.release()
      await sleep(20)
      net.release()
      expect(await before).toEqual({ access_token: 'old' })
      expect(await after).toEqual({ access_token: 'new' })
      expect(net.gets()).toBe(2)
      await bridge.close()
    })
  })

  it('emits fetch and fetch-error events only to listeners, with no value in them', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const seen: unknown[] = []
    const off = bridge.on('fetch', (e) => seen.push(e))
    bridge.on('fetch-error', (e) => seen.push({ ...e, error: (e.error as Error).message }))
    bridge.on('fetch', () => {
      throw new Error('a broken listener must not break reads')
    })
    await bridge.getAccessToken(key, async () => ({ value: { access_token: 'SECRET-TOKEN' }, duration: 60 }))
    await bridge
      .getAccessToken({ ...key, appid: 'wx2' }, async () => {
        throw new Error('boom')
      })
      .catch(() => undefined)
    off()
    await bridge.getAccessToken({ ...key, appid: 'wx3' }, async () => ({ value: { access_token: 'x' }, duration: 60 }))

    expect(seen).toEqual([
      { kind: 'access_token', storageKey, by: 'fallback', reason: 'miss', durationMs: expect.any(Number) },
      {
        kind: 'access_token',
        storageKey: 'uni-id:weixin-mp:wx2:access-token',
        by: 'fallback',
        reason: 'miss',
        durationMs: expect.any(Number),
        error: 'boom',
      },
    ])
    expect(JSON.stringify(seen)).not.toContain('SECRET-TOKEN')
    await bridge.close()
  })
})
