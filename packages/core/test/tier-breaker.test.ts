import { createBridge, memoryStore } from '@open-bridge/core'
import { chaosStore } from '@open-bridge/core/testing'
import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }
const storageKey = 'uni-id:weixin-mp:wx123:access-token'

/**
 * A network tier that can go dead the way Redis does behind a socket timeout: once `die()` is called, every
 * call waits `hang` ms, then fails. `calls()` counts the calls that reached it.
 */
function deadableStore(name: string, hang = 150) {
  const inner = memoryStore({ name })
  const { store, chaos } = chaosStore(inner, { hide: ['getSync'] })
  return {
    store,
    inner,
    die: () => chaos.fail(undefined, { delay: hang }),
    revive: () => chaos.heal(),
    calls: () => chaos.calls.get + chaos.calls.set + chaos.calls.delete,
  }
}

describe('tier circuit breaker', () => {
  it('opens after consecutive failures: reads skip the dead tier (no latency), writes are skipped and reported', async () => {
    const redis = deadableStore('redis')
    const durable = memoryStore({ name: 'sqlite' })
    const bridge = createBridge({ stores: [redis.store, durable], breaker: { failures: 3, cooldown: 60_000 } })
    const changes: string[] = []
    const skipped: string[] = []
    bridge.on('breaker-open', (e) => changes.push(`open:${e.tier}`))
    bridge.on('breaker-close', (e) => changes.push(`close:${e.tier}`))
    bridge.on('tier-skipped', (e) => skipped.push(`${e.tier}:${e.operation}`))
    await bridge.setAccessToken(key, { access_token: 'T' }, 60)
    await redis.inner.delete(storageKey) // the read must go past redis to sqlite
    redis.die()

    // Three reads pay the dead tier's timeout, then the breaker opens.
    for (let i = 0; i < 3; i++) expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'T' })
    expect(changes).toEqual(['open:redis'])
    const callsWhenOpened = redis.calls()

    // Now 30 reads: none reaches redis, so none waits for its timeout (150 ms each if they did).
    const started = performance.now()
    for (let i = 0; i < 30; i++) expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'T' })
    const elapsed = performance.now() - started
    expect(redis.calls()).toBe(callsWhenOpened)
    expect(elapsed).toBeLessThan(1_500) // generous: a third of what one timeout per read would cost

    await bridge.setAccessToken(key, { access_token: 'T2' }, 60)
    expect((await durable.get(storageKey))?.value).toEqual({ access_token: 'T2' })
    expect(redis.calls()).toBe(callsWhenOpened)
    expect(skipped).toContain('redis:get')
    expect(skipped).toContain('redis:set')
    await bridge.close()
  })

  it('after the cooldown one probe goes through: a failed probe reopens, a good one closes (events)', async () => {
    const redis = deadableStore('redis', 10)
    const durable = memoryStore({ name: 'sqlite' })
    const bridge = createBridge({ stores: [redis.store, durable], breaker: { failures: 2, cooldown: 300 } })
    const changes: string[] = []
    bridge.on('breaker-open', (e) => changes.push(`open:${e.tier}`))
    bridge.on('breaker-close', (e) => changes.push(`close:${e.tier}`))
    await durable.set(storageKey, { value: { access_token: 'T' }, expiresAt: Date.now() + 60_000 })
    redis.die()
    await bridge.getAccessToken(key)
    await bridge.getAccessToken(key)
    expect(changes).toEqual(['open:redis'])

    await sleep(350)
    const before = redis.calls()
    await bridge.getAccessToken(key) // the probe: still dead
    await bridge.getAccessToken(key) // skipped again
    expect(redis.calls()).toBe(before + 1)

    redis.revive()
    await sleep(350)
    await bridge.getAccessToken(key) // the probe succeeds
    expect(changes).toEqual(['open:redis', 'close:redis'])
    // Closed again: the tier is back in use (the read above copied the record into it).
    expect((await redis.inner.get(storageKey))?.value).toEqual({ access_token: 'T' })
    await bridge.close()
  })

  it('breaker: false keeps asking the failing tier', async () => {
    const redis = deadableStore('redis', 1)
    const bridge = createBridge({ stores: [redis.store, memoryStore()], breaker: false })
    redis.die()
    for (let i = 0; i < 10; i++) await bridge.getAccessToken(key)
    expect(redis.calls()).toBe(10)
    await bridge.close()
  })

  it('rejects malformed breaker options with E_INVALID_CONFIG naming the field', () => {
    expect(() => createBridge({ stores: [memoryStore()], breaker: { failures: 0 } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'breaker.failures' }),
    )
    expect(() => createBridge({ stores: [memoryStore()], breaker: { cooldown: -1 } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'breaker.cooldown' }),
    )
  })
})
