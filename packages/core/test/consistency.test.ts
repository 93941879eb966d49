import { createBridge, isBridgeError, memoryStore, type CredentialStore } from '@open-bridge/core'
import { chaosStore } from '@open-bridge/core/testing'
import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }
const storageKey = 'uni-id:weixin-mp:wx123:access-token'

/**
 * A far tier whose answers to reads come back `delay` ms late (a slow network): the read sees what the store
 * held when it was asked, and that window is where a race can happen.
 */
function slowStore(name: string, delay: number) {
  const inner = memoryStore({ name })
  const { store, chaos } = chaosStore(inner, { hide: ['getSync'] })
  chaos.delay('get', delay, { on: 'reply' })
  return { store, inner, chaos }
}

describe('consistency inside a process', () => {
  it('a set during a slow copy-down wins: the old token is not put back into memory', async () => {
    const near = memoryStore({ name: 'memory' })
    const far = slowStore('redis', 150)
    const bridge = createBridge({ stores: [near, far.store] })
    await far.inner.set(storageKey, { value: { access_token: 'old' }, expiresAt: Date.now() + 60_000 })

    const reading = bridge.getAccessToken(key) // finds 'old' in redis after 150 ms, would copy it into memory
    await sleep(30)
    await bridge.setAccessToken(key, { access_token: 'new' }, 60)
    expect(await reading).toEqual({ access_token: 'old' }) // that caller's read began before the set
    expect((await near.get(storageKey))?.value).toEqual({ access_token: 'new' })
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'new' })
    await bridge.close()
  })

  it('a remove during a slow copy-down wins: the removed token is not served from memory afterwards', async () => {
    const near = memoryStore({ name: 'memory' })
    const far = slowStore('redis', 150)
    const bridge = createBridge({ stores: [near, far.store] })
    await far.inner.set(storageKey, { value: { access_token: 'revoked' }, expiresAt: Date.now() + 60_000 })
    const reading = bridge.getAccessToken(key)
    await sleep(30)
    await bridge.removeAccessToken(key)
    await reading
    expect(await near.get(storageKey)).toBeUndefined()
    expect(await bridge.getAccessToken(key)).toBeNull()
    await bridge.close()
  })

  it('a set during a slow fill wins: the fill result is handed to its callers but not written', async () => {
    const near = memoryStore()
    const bridge = createBridge({ stores: [near] })
    const filling = bridge.getAccessToken(key, async () => {
      await sleep(150)
      return { value: { access_token: 'fetched' }, duration: 60 }
    })
    await sleep(30)
    await bridge.setAccessToken(key, { access_token: 'set-by-hand' }, 60)
    expect(await filling).toEqual({ access_token: 'fetched' })
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'set-by-hand' })
    await bridge.close()
  })

  it('every waiter of one fill gets the same frozen value', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const produced = { access_token: 'shared', extra: { nested: [1, 2] } }
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        bridge.getAccessToken(key, async () => {
          await sleep(30)
          return { value: produced, duration: 60 }
        }),
      ),
    )
    expect(new Set(results).size).toBe(1)
    const value = results[0]!
    expect(Object.isFrozen(value)).toBe(true)
    expect(Object.isFrozen(value.extra)).toBe(true)
    expect(Object.isFrozen((value.extra as { nested: number[] }).nested)).toBe(true)
    expect(Object.isFrozen(produced)).toBe(false) // the fallback's own object is left alone
    await bridge.close()
  })

  it('close() during a hung fallback rejects its waiters with E_CLOSED at once, aborts it, and writes nothing later', async () => {
    const far = slowStore('sqlite', 0)
    const bridge = createBridge({ stores: [memoryStore(), far.store], fetchTimeout: 60_000 })
    let signal: AbortSignal | undefined
    let release: (() => void) | undefined
    const waiters = Array.from({ length: 5 }, () =>
      bridge
        .getAccessToken(key, async (_k, ctx) => {
          signal = ctx.signal
          await new Promise<void>((resolve) => (release = resolve)) // hangs until the test lets it go
          return { value: { access_token: 'too late' }, duration: 60 }
        })
        .catch((e: unknown) => e),
    )
    await sleep(50)
    const started = performance.now()
    const closing = bridge.close()
    const settled = await Promise.all(waiters)
    expect(performance.now() - started).toBeLessThan(2_000) // promptly: not after the fallback (never) or fetchTimeout (60 s)
    expect(settled.every((e) => isBridgeError(e, 'E_CLOSED'))).toBe(true)
    expect(signal?.aborted).toBe(true)
    await closing
    expect(far.chaos.calls.close).toBe(1)
    const writesAtClose = far.chaos.calls.set
    release!()
    await sleep(50)
    expect(far.chaos.calls.set).toBe(writesAtClose) // nothing written after the store was closed
    await expect(bridge.getAccessToken(key)).rejects.toMatchObject({ code: 'E_CLOSED' })
  })

  it('close() during a tier read that hangs rejects the caller with E_CLOSED at once', async () => {
    const hung = chaosStore(memoryStore({ name: 'redis' }), { hide: ['getSync'] })
    hung.chaos.hang('get') // a socket that never answers
    const bridge = createBridge({ stores: [memoryStore(), hung.store] })
    const reading = bridge.getAccessToken(key).catch((e: unknown) => e)
    await sleep(50)
    expect(hung.chaos.hanging).toBe(1)
    await bridge.close()
    expect(isBridgeError(await reading, 'E_CLOSED')).toBe(true)
    hung.chaos.heal() // lets the abandoned read finish: nothing waits for it any more
  })

  it('close() while waiting on another process’s lock rejects at once and stops polling', async () => {
    const inner = memoryStore({ name: 'shared' })
    let lockCalls = 0
    const locked: CredentialStore = {
      name: 'shared',
      get: (k) => inner.get(k),
      set: (k, r) => inner.set(k, r),
      delete: (k) => inner.delete(k),
      close: () => inner.close(),
      lock: {
        acquire: async () => {
          lockCalls++
          return false // someone else holds it, forever
        },
        release: async () => false,
        extend: async () => false,
      },
    }
    const bridge = createBridge({
      stores: [memoryStore(), locked],
      source: { fetch: async () => null },
      lock: { waitTimeout: 60_000 },
    })
    const waiting = bridge.getAccessToken(key).catch((e: unknown) => e)
    await sleep(200)
    await bridge.close()
    expect(isBridgeError(await waiting, 'E_CLOSED')).toBe(true)
    const callsAtClose = lockCalls
    await sleep(600)
    expect(lockCalls).toBe(callsAtClose)
  })
})

describe('what fallbacks and sources produce (issue 9 point 5)', () => {
  it('a result without its life is E_INVALID_EXPIRES, not a credential kept forever', async () => {
    const bridge = createBridge({
      stores: [memoryStore()],
      source: { fetch: async () => ({ value: { access_token: 'x' } }) as never },
    })
    const fromFallback = await bridge
      .getAccessToken(key, async () => ({ value: { access_token: 'x' } }) as never)
      .catch((e: unknown) => e)
    expect(fromFallback).toMatchObject({ code: 'E_INVALID_EXPIRES', field: 'fallback().duration' })
    const fromSource = await bridge.getAccessToken({ appid: 'wx2', platform: 'weixin-mp' }).catch((e: unknown) => e)
    expect(fromSource).toMatchObject({ code: 'E_INVALID_EXPIRES', field: 'source.fetch().expiresIn' })
    expect(
      await bridge.getAccessToken(key, async () => ({ value: { access_token: 'forever' }, duration: -1 })),
    ).toEqual({
      access_token: 'forever',
    })
    await bridge.close()
  })

  it('a value that cannot be copied (a function inside) is E_INVALID_VALUE', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const error = await bridge
      .getAccessToken(key, async () => ({ value: { access_token: 'x', f: () => 1 }, duration: 60 }))
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_INVALID_VALUE', field: 'fallback().value.f' })
    await bridge.close()
  })

  it('a fallback gets the resolved key: appid filled in from a dcloudAppid key', async () => {
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx123' }],
    })
    const caller = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' as const }
    let seen: unknown
    await bridge.getAccessToken(caller, async (k, ctx) => {
      seen = { key: k, reason: ctx.reason, previous: ctx.previous }
      return { value: { access_token: 'x' }, duration: 60 }
    })
    expect(seen).toEqual({
      key: { dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx123' },
      reason: 'miss',
      previous: undefined,
    })
    expect(caller).toEqual({ dcloudAppid: '__UNI__A', platform: 'weixin-mp' })
    await bridge.close()
  })
})
