import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  isBridgeError,
  keyField,
  memoryStore,
  registerKind,
  type CredentialBridge,
  type CredentialSource,
  type CredentialStore,
} from '@open-bridge/core'
import { chaosStore } from '@open-bridge/core/testing/chaos'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

/** Test-only kinds, as a family package would register them. */
const refreshToken = registerKind<{ component: string; account: string }, { refresh_token: string }>({
  name: 'test_durable_refresh_token',
  keyFields: { component: keyField.segment(), account: keyField.segment() },
  storageKey: ({ component, account }) => `test-family:${component}:${account}:refresh-token`,
  credentialField: 'refresh_token',
  durable: true,
})
const verifyTicket = registerKind<{ component: string }, { ticket: string }>({
  name: 'test_pushed_ticket',
  keyFields: { component: keyField.segment() },
  storageKey: ({ component }) => `test-family:${component}:verify-ticket`,
  credentialField: 'ticket',
  durable: true,
  pushed: true,
  life: 12 * 3600,
  pushedHint: 'check the test platform’s event URL',
})

/** A source that would answer anything: a pushed kind must never reach it. */
function countingSource() {
  let calls = 0
  const source: CredentialSource = {
    fetch: async () => {
      calls++
      return null
    },
    fetchKind: async () => {
      calls++
      return { value: { ticket: 'FETCHED', refresh_token: 'FETCHED' }, expiresIn: 600 }
    },
  }
  return { source, calls: () => calls }
}

async function refusal(work: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await work
  } catch (error) {
    expect(isBridgeError(error)).toBe(true)
    return error as { code: string; field?: string; message: string }
  }
  throw new Error('expected a refusal')
}

let dir: string
let bridges: CredentialBridge[]
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ob-durable-'))
  bridges = []
})
afterEach(async () => {
  await Promise.all(bridges.map((bridge) => bridge.close()))
  rmSync(dir, { recursive: true, force: true })
})
function bridgeWith(stores: CredentialStore[], source?: CredentialSource, breaker = true) {
  // Without the breaker a failing tier is asked every time (the tests switch its faults on and off).
  const bridge = createBridge({ stores, ...(source ? { source } : {}), ...(breaker ? {} : { breaker: false }) })
  bridges.push(bridge)
  return bridge
}

const key = { component: 'wxcomponent1', account: 'wxaccount1' }

describe('durable kinds', () => {
  it('stores say whether they persist: memory no, SQLite yes', () => {
    expect(memoryStore().persistent).toBe(false)
    const sqlite = sqliteStore({ path: join(dir, 'p.db') })
    expect(sqlite.persistent).toBe(true)
    return sqlite.close()
  })

  it('set with a persistent tier resolves once SQLite holds it: a new process (bridge) on the file reads it', async () => {
    const path = join(dir, 'durable.db')
    const bridge = bridgeWith([memoryStore(), sqliteStore({ path })])
    await bridge.credential(refreshToken).set(key, { refresh_token: 'RT-1' }, -1)
    await bridge.close()
    const next = bridgeWith([memoryStore(), sqliteStore({ path })])
    expect(await next.credential(refreshToken).get(key)).toEqual({ refresh_token: 'RT-1' })
  })

  it('a bridge with only a memory tier refuses the set: E_NO_DURABLE_TIER, nothing stored', async () => {
    const memory = memoryStore()
    const bridge = bridgeWith([memory])
    const error = await refusal(bridge.credential(refreshToken).set(key, { refresh_token: 'RT' }))
    expect(error).toMatchObject({ code: 'E_NO_DURABLE_TIER', field: 'stores' })
    expect(error.message).toContain('test_durable_refresh_token')
    expect(error.message).not.toContain('RT')
    expect(await memory.get('test-family:wxcomponent1:wxaccount1:refresh-token')).toBeUndefined()
  })

  it('when the persistent tier fails the write, set rejects E_NO_DURABLE_TIER though memory took it', async () => {
    const sqlite = chaosStore(sqliteStore({ path: join(dir, 'failing.db') }))
    const bridge = bridgeWith([memoryStore(), sqlite.store], undefined, false)
    sqlite.chaos.fail('set')
    const error = await refusal(bridge.credential(refreshToken).set(key, { refresh_token: 'RT' }))
    expect(error.code).toBe('E_NO_DURABLE_TIER')
    sqlite.chaos.heal()
    await bridge.credential(refreshToken).set(key, { refresh_token: 'RT-2' })
    expect(await sqlite.store.get('test-family:wxcomponent1:wxaccount1:refresh-token')).toMatchObject({
      value: { refresh_token: 'RT-2' },
    })
  })

  it('a persistent tier skipped by its open breaker does not count: E_NO_DURABLE_TIER', async () => {
    const sqlite = chaosStore(sqliteStore({ path: join(dir, 'breaker.db') }))
    const bridge = bridgeWith([memoryStore(), sqlite.store])
    sqlite.chaos.fail('set')
    for (let i = 0; i < 3; i++) {
      expect((await refusal(bridge.credential(refreshToken).set(key, { refresh_token: `RT${i}` }))).code).toBe(
        'E_NO_DURABLE_TIER',
      )
    }
    sqlite.chaos.heal()
    sqlite.chaos.resetCalls()
    // The breaker is open now: the tier is not even asked, and the write still does not count.
    expect((await refusal(bridge.credential(refreshToken).set(key, { refresh_token: 'RT' }))).code).toBe(
      'E_NO_DURABLE_TIER',
    )
    expect(sqlite.chaos.calls.set).toBe(0)
  })

  it('a kind that is not durable is still set on a memory-only bridge (today’s behaviour)', async () => {
    const bridge = bridgeWith([memoryStore()])
    await bridge.set(
      'user_refresh_token',
      { appid: 'wx1', platform: 'weixin-h5', openid: 'o1' },
      { refresh_token: 'R' },
    )
    expect(await bridge.get('user_refresh_token', { appid: 'wx1', platform: 'weixin-h5', openid: 'o1' })).toEqual({
      refresh_token: 'R',
    })
  })
})

describe('pushed kinds', () => {
  it('a miss never calls the source and is E_PUSHED_MISSING saying the pushes have not arrived', async () => {
    const { source, calls } = countingSource()
    const bridge = bridgeWith([memoryStore(), sqliteStore({ path: join(dir, 'pushed.db') })], source)
    const error = await refusal(bridge.credential(verifyTicket).get({ component: 'wxcomponent1' }))
    expect(error.code).toBe('E_PUSHED_MISSING')
    expect(error.message).toContain('pushes have not arrived')
    expect(error.message).toContain('check the test platform’s event URL')
    expect(error.message).toContain('test-family:wxcomponent1:verify-ticket')
    const viaRecord = await refusal(
      bridge.getRecord('test_pushed_ticket' as never, { component: 'wxcomponent1' } as never),
    )
    expect(viaRecord.code).toBe('E_PUSHED_MISSING')
    expect(calls()).toBe(0)
  })

  it('once pushed (set) it is read from SQLite with the kind’s life, by a bridge that never saw the push', async () => {
    const path = join(dir, 'pushed-life.db')
    const { source, calls } = countingSource()
    const receiver = bridgeWith([memoryStore(), sqliteStore({ path })])
    const before = Date.now()
    await receiver.credential(verifyTicket).set({ component: 'wxcomponent1' }, { ticket: 'TICKET@1' })
    const reader = bridgeWith([memoryStore(), sqliteStore({ path })], source)
    expect(await reader.credential(verifyTicket).get({ component: 'wxcomponent1' })).toEqual({ ticket: 'TICKET@1' })
    const record = await reader.getRecord('test_pushed_ticket' as never, { component: 'wxcomponent1' } as never)
    expect(record?.expiresAt).toBeGreaterThanOrEqual(before + 12 * 3600 * 1000)
    expect(calls()).toBe(0)
  })

  it('refresh of a rejected pushed value cannot fetch: E_PUSHED_MISSING; a newer push is served', async () => {
    const { source, calls } = countingSource()
    const bridge = bridgeWith([memoryStore(), sqliteStore({ path: join(dir, 'pushed-refresh.db') })], source)
    const ticket = bridge.credential(verifyTicket)
    await ticket.set({ component: 'c1' }, { ticket: 'OLD' })
    expect((await refusal(ticket.refresh({ component: 'c1' }, { ifValue: 'OLD' }))).code).toBe('E_PUSHED_MISSING')
    await ticket.set({ component: 'c1' }, { ticket: 'NEW' })
    expect(await ticket.refresh({ component: 'c1' }, { ifValue: 'OLD' })).toEqual({ ticket: 'NEW' })
    expect(calls()).toBe(0)
  })

  it('refresh of a pushed kind needs no source', async () => {
    const bridge = bridgeWith([sqliteStore({ path: join(dir, 'no-source.db') })])
    const error = await refusal(bridge.credential(verifyTicket).refresh({ component: 'c1' }))
    expect(error.code).toBe('E_PUSHED_MISSING')
  })

  it('when every tier fails, a pushed miss is E_STORE_UNAVAILABLE (nothing says the pushes stopped)', async () => {
    const sqlite = chaosStore(sqliteStore({ path: join(dir, 'down.db') }))
    const bridge = bridgeWith([sqlite.store], undefined, false)
    sqlite.chaos.fail(['get', 'getSync'])
    const error = await refusal(bridge.credential(verifyTicket).get({ component: 'c1' }))
    expect(error.code).toBe('E_STORE_UNAVAILABLE')
  })
})
