import { setTimeout as sleep } from 'node:timers/promises'
import { isBridgeError, memoryStore, type StoredRecord } from '@open-bridge/core'
import { chaosStore } from '@open-bridge/core/testing'
import { describe, expect, it } from 'vitest'

const record = (access_token: string): StoredRecord => ({ value: { access_token }, expiresAt: null })

/** A store with a lease, small enough to read at a glance: the chaos wrapper must pass `lock` on. */
function lockingMemoryStore(name = 'locking') {
  const inner = memoryStore({ name })
  const held = new Map<string, string>()
  return {
    name,
    get: inner.get.bind(inner),
    set: inner.set.bind(inner),
    delete: inner.delete.bind(inner),
    close: inner.close.bind(inner),
    lock: {
      acquire: async (lockName: string, token: string) => {
        if (held.has(lockName)) return false
        held.set(lockName, token)
        return true
      },
      extend: async (lockName: string, token: string) => held.get(lockName) === token,
      release: async (lockName: string, token: string) => held.get(lockName) === token && held.delete(lockName),
    },
  }
}

function rejectionOf(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('chaosStore: passing through', () => {
  it('behaves as the wrapped store while no fault is set, keeping its name, getSync and lock', async () => {
    const { store } = chaosStore(lockingMemoryStore('redis'))
    expect(store.name).toBe('redis')
    await store.set('k', record('v'))
    expect(await store.get('k')).toEqual(record('v'))
    expect(await store.lock?.acquire('k', 'a', 1_000)).toBe(true)
    expect(await store.lock?.acquire('k', 'b', 1_000)).toBe(false)
    expect(await store.lock?.release('k', 'a')).toBe(true)
    await store.delete('k')
    expect(await store.get('k')).toBeUndefined()

    const sync = chaosStore(memoryStore()).store
    await sync.set('k', record('s'))
    expect(sync.getSync?.('k')).toEqual(record('s'))
  })

  it('hides getSync and lock on request, and offers none the wrapped store lacks', () => {
    expect(chaosStore(memoryStore(), { hide: ['getSync'] }).store.getSync).toBeUndefined()
    expect(chaosStore(lockingMemoryStore(), { hide: ['lock'] }).store.lock).toBeUndefined()
    expect(chaosStore(memoryStore()).store.lock).toBeUndefined()
  })

  it('counts the calls per operation, failed ones included, and resets the count', async () => {
    const { store, chaos } = chaosStore(lockingMemoryStore())
    await store.get('a')
    await store.get('b')
    await store.set('a', record('x'))
    await store.lock?.acquire('a', 't', 1_000)
    chaos.fail('delete')
    await store.delete('a').catch(() => undefined)
    await store.close()
    expect(chaos.calls).toEqual({
      get: 2,
      getSync: 0,
      set: 1,
      delete: 1,
      compareAndSet: 0,
      'lock.acquire': 1,
      'lock.extend': 0,
      'lock.release': 0,
      close: 1,
    })
    chaos.resetCalls()
    expect(Object.values(chaos.calls).every((n) => n === 0)).toBe(true)
  })
})

describe('chaosStore: faults', () => {
  it('fail(): every operation rejects with an open-bridge E_CHAOS_FAULT naming store and operation, until heal()', async () => {
    const inner = lockingMemoryStore('redis')
    const { store, chaos } = chaosStore(inner)
    await inner.set('k', record('kept'))
    chaos.fail()
    for (const [operation, run] of [
      ['get', async () => store.get('k')],
      ['set', async () => store.set('k', record('lost'))],
      ['delete', async () => store.delete('k')],
      ['lock.acquire', async () => store.lock?.acquire('k', 't', 1_000)],
      ['lock.extend', async () => store.lock?.extend('k', 't', 1_000)],
      ['lock.release', async () => store.lock?.release('k', 't')],
    ] as const) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isBridgeError(error, 'E_CHAOS_FAULT'), operation).toBe(true)
      expect((error as Error).message).toBe(`redis: ${operation} failed (injected fault)`)
    }
    // Nothing reached the wrapped store.
    expect(await inner.get('k')).toEqual(record('kept'))
    chaos.heal()
    expect(await store.get('k')).toEqual(record('kept'))
  })

  it('fail(operations) touches only those; heal(operations) clears only those', async () => {
    const { store, chaos } = chaosStore(memoryStore())
    chaos.fail(['set', 'delete'])
    await expect(store.set('k', record('x'))).rejects.toMatchObject({ code: 'E_CHAOS_FAULT' })
    await expect(store.get('k')).resolves.toBeUndefined()
    chaos.heal('set')
    await store.set('k', record('x'))
    await expect(store.delete('k')).rejects.toMatchObject({ code: 'E_CHAOS_FAULT' })
  })

  it('throws the error given, or what the function returns for each call', async () => {
    const { store, chaos } = chaosStore(memoryStore())
    const refused = Object.assign(new Error('READONLY'), { code: 'READONLY' })
    chaos.fail('get', { error: refused })
    await expect(store.get('k')).rejects.toBe(refused)
    chaos.fail('set', { error: (operation) => new Error(`ECONNREFUSED on ${operation}`) })
    await expect(store.set('k', record('x'))).rejects.toThrow('ECONNREFUSED on set')
  })

  it('getSync fails synchronously, as a locked SQLite file does', () => {
    const { store, chaos } = chaosStore(memoryStore({ name: 'sqlite' }))
    chaos.fail('getSync')
    expect(
      isBridgeError(
        rejectionOf(() => store.getSync?.('k')),
        'E_CHAOS_FAULT',
      ),
    ).toBe(true)
    chaos.heal()
    expect(store.getSync?.('k')).toBeUndefined()
    expect(chaos.calls.getSync).toBe(2)
  })

  it('fail with a delay: the call is still pending after it started, then rejects (a socket timeout)', async () => {
    const { store, chaos } = chaosStore(memoryStore())
    chaos.fail('get', { delay: 1_000 })
    let settled = false
    const reading = store.get('k').finally(() => {
      settled = true
    })
    await sleep(20)
    expect(settled).toBe(false)
    await expect(reading).rejects.toMatchObject({ code: 'E_CHAOS_FAULT' })
  })

  it('delay on the request: the call reaches the store late, so it sees a write made meanwhile', async () => {
    const inner = memoryStore()
    const { store, chaos } = chaosStore(inner)
    await inner.set('k', record('old'))
    chaos.delay('get', 200)
    const reading = store.get('k')
    await inner.set('k', record('new'))
    expect(await reading).toEqual(record('new'))
  })

  it('delay on the reply: the call reads at once and answers late, with what the store held when asked', async () => {
    const inner = memoryStore()
    const { store, chaos } = chaosStore(inner)
    await inner.set('k', record('old'))
    chaos.delay('get', 200, { on: 'reply' })
    const reading = store.get('k')
    await inner.set('k', record('new'))
    expect(await reading).toEqual(record('old'))
  })

  it('hang: calls wait until heal(), then reach the store; hanging counts them', async () => {
    const inner = memoryStore()
    const { store, chaos } = chaosStore(inner)
    chaos.hang(['set'])
    let done = false
    const writing = store.set('k', record('late')).then(() => {
      done = true
    })
    await sleep(50)
    expect(done).toBe(false)
    expect(chaos.hanging).toBe(1)
    expect(await inner.get('k')).toBeUndefined()
    chaos.heal()
    await writing
    expect(chaos.hanging).toBe(0)
    expect(await inner.get('k')).toEqual(record('late'))
  })

  it('hang with a signal: hung calls reject with its reason when it aborts, and at once if it already has', async () => {
    const { store, chaos } = chaosStore(memoryStore())
    const controller = new AbortController()
    chaos.hang('get', { signal: controller.signal })
    const reading = store.get('k')
    await sleep(20)
    const reason = new Error('socket closed')
    controller.abort(reason)
    await expect(reading).rejects.toBe(reason)
    expect(chaos.hanging).toBe(0)
    await expect(store.get('k')).rejects.toBe(reason)
  })

  it('a fault set later replaces the earlier one on the same operation', async () => {
    const { store, chaos } = chaosStore(memoryStore())
    chaos.hang('get')
    chaos.fail('get')
    await expect(store.get('k')).rejects.toMatchObject({ code: 'E_CHAOS_FAULT' })
    expect(chaos.hanging).toBe(0)
  })
})

describe('chaosStore: bad input', () => {
  it.each([
    ['store', () => chaosStore({} as never)],
    ['hide', () => chaosStore(memoryStore(), { hide: ['close'] as never })],
    ['operations', () => chaosStore(memoryStore()).chaos.fail('lock.acquire')],
    ['operations', () => chaosStore(memoryStore(), { hide: ['getSync'] }).chaos.fail('getSync')],
    ['operations', () => chaosStore(memoryStore()).chaos.fail('flush' as never)],
    ['operations', () => chaosStore(memoryStore()).chaos.delay('getSync', 10)],
    ['operations', () => chaosStore(memoryStore()).chaos.hang(['get', 'getSync'])],
    ['ms', () => chaosStore(memoryStore()).chaos.delay('get', -1)],
    ['ms', () => chaosStore(memoryStore()).chaos.delay('get', Number.NaN)],
    ['options.delay', () => chaosStore(memoryStore()).chaos.fail('get', { delay: Number.POSITIVE_INFINITY })],
    ['options.error', () => chaosStore(memoryStore()).chaos.fail('get', { error: 'down' as never })],
    ['options.on', () => chaosStore(memoryStore()).chaos.delay('get', 1, { on: 'both' as never })],
    ['options.signal', () => chaosStore(memoryStore()).chaos.hang('get', { signal: {} as never })],
  ])('rejects a bad %s with E_INVALID_CONFIG naming it', (field, run) => {
    const error = rejectionOf(run)
    expect(isBridgeError(error, 'E_INVALID_CONFIG')).toBe(true)
    expect((error as { field?: string }).field).toBe(field)
  })

  it('hang() and delay() without operations leave getSync alone; fail() includes it', async () => {
    const { store, chaos } = chaosStore(memoryStore())
    await store.set('k', record('v'))
    chaos.hang()
    expect(store.getSync?.('k')).toEqual(record('v'))
    chaos.heal()
    chaos.fail()
    expect(
      isBridgeError(
        rejectionOf(() => store.getSync?.('k')),
        'E_CHAOS_FAULT',
      ),
    ).toBe(true)
  })
})
