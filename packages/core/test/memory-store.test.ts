import { memoryStore } from '@open-bridge/core'
import { runStoreContract } from '@open-bridge/core/testing'
import { describe, expect, it } from 'vitest'

runStoreContract('memoryStore', { create: () => memoryStore({ max: 1_000 }), lock: false, failing: false })

describe('memoryStore', () => {
  it('evicts the least recently used key beyond max', async () => {
    const store = memoryStore({ max: 2 })
    await store.set('a', { value: { access_token: 'a' }, expiresAt: null })
    await store.set('b', { value: { access_token: 'b' }, expiresAt: null })
    await store.get('a')
    await store.set('c', { value: { access_token: 'c' }, expiresAt: null })
    expect(await store.get('b')).toBeUndefined()
    expect((await store.get('a'))?.value).toEqual({ access_token: 'a' })
    expect((await store.get('c'))?.value).toEqual({ access_token: 'c' })
  })

  it('drops a local copy after maxTtl even though the record lives longer', async () => {
    const store = memoryStore({ maxTtl: 200 })
    const expiresAt = Date.now() + 60_000
    await store.set('k', { value: { access_token: 't' }, expiresAt })
    expect((await store.get('k'))?.expiresAt).toBe(expiresAt)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await store.get('k')).toBeUndefined()
  })

  it('hands out frozen values, so one reader cannot change what the next one gets', async () => {
    const store = memoryStore()
    await store.set('k', { value: { access_token: 't', nested: { a: 1 } }, expiresAt: null })
    const read = store.getSync!('k')!
    expect(Object.isFrozen(read.value)).toBe(true)
    expect(() => {
      ;(read.value as { access_token: string }).access_token = 'changed'
    }).toThrow(TypeError)
    expect(store.getSync!('k')!.value).toEqual({ access_token: 't', nested: { a: 1 } })
  })

  it.each([
    [{ max: 0 }, 'max'],
    [{ max: 1.5 }, 'max'],
    [{ max: '10' }, 'max'],
    [{ maxTtl: -1 }, 'maxTtl'],
    [{ maxTtl: Number.NaN }, 'maxTtl'],
  ])('refuses bad options %j with E_INVALID_CONFIG naming the field', (options, field) => {
    expect(() => memoryStore(options as never)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', field }))
  })
})
