/**
 * Waking waiters (`CredentialStore.watch`): bridges over one SQLite file — processes of a deployment — whose lock
 * tier is given write notices in the process (what Redis pub/sub does between processes; that path runs in
 * test/coordination/wake-up.test.ts). The poll floor is set to 5 s, so a waiter that has the record a moment
 * after the write was woken, not polled (its looks fall at … 2.5 s, then 5.1 s).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  memoryStore,
  type BridgeEvents,
  type CoordinationOptions,
  type CredentialBridge,
  type CredentialSource,
  type CredentialStore,
} from '@open-bridge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }
const FETCH_MS = 3_000
/** Woken: ~FETCH_MS. Polled: the look at ~5.1 s. */
const WOKEN_BEFORE_MS = 4_500

let dir: string
let bridges: CredentialBridge[]
/** The "backend's" notices: watchers per key, shared by every store over the file. */
let watchers: Map<string, Set<() => void>>
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ob-wake-up-'))
  bridges = []
  watchers = new Map()
})
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()))
  rmSync(dir, { recursive: true, force: true })
})

/** The shared SQLite tier, with write notices to every watcher of the key (`watch` as `mode` says). */
function sharedTier(mode: 'notify' | 'throws' | 'none' = 'notify', refuse?: (key: string) => boolean): CredentialStore {
  const inner = sqliteStore({ path: join(dir, 'shared.db') })
  const notify = (k: string) => {
    for (const onChange of watchers.get(k) ?? []) onChange()
  }
  const store: CredentialStore = {
    name: 'sqlite',
    get: (k) => inner.get(k),
    set: async (k, record) => {
      if (refuse?.(k)) throw new Error('refused by the test')
      await inner.set(k, record)
      notify(k)
    },
    delete: async (k) => {
      await inner.delete(k)
      notify(k)
    },
    lock: inner.lock!,
    compareAndSet: async (k, expected, record) => {
      const wrote = await inner.compareAndSet!(k, expected, record)
      if (wrote) notify(k)
      return wrote
    },
    close: () => inner.close(),
  }
  if (mode === 'throws')
    store.watch = () => {
      throw new Error('a watch that breaks its promise')
    }
  if (mode === 'notify')
    store.watch = (k, onChange) => {
      const set = watchers.get(k) ?? new Set()
      watchers.set(k, set)
      set.add(onChange)
      return () => set.delete(onChange)
    }
  return store
}

function processBridge(source: CredentialSource, tier: CredentialStore, options: CoordinationOptions = {}) {
  const bridge = createBridge({ stores: [memoryStore(), tier], source, lock: { pollInterval: 5_000 }, ...options })
  bridges.push(bridge)
  const waits: BridgeEvents['wait'][] = []
  bridge.on('wait', (e) => waits.push(e))
  return { bridge, waits }
}

function slowSource(outcome: () => unknown): CredentialSource & { calls: number } {
  const source = {
    calls: 0,
    async fetch() {
      source.calls++
      await sleep(FETCH_MS)
      return outcome()
    },
  }
  return source as never
}

describe('waking waiters (store.watch)', () => {
  it('a waiter is woken by the write of the holder’s record, not at its next poll', async () => {
    const source = slowSource(() => ({ value: { access_token: 'T1' }, expiresIn: 7200 }))
    const a = processBridge(source, sharedTier())
    const b = processBridge(source, sharedTier())
    const first = a.bridge.getAccessToken(key)
    await sleep(50)
    const second = await b.bridge.getAccessToken(key)
    expect(second).toEqual({ access_token: 'T1' })
    expect(await first).toEqual({ access_token: 'T1' })
    expect(source.calls).toBe(1)
    expect(b.waits).toHaveLength(1)
    expect(b.waits[0]!.outcome).toBe('value')
    expect(b.waits[0]!.durationMs).toBeLessThan(WOKEN_BEFORE_MS)
    // The waiter stopped watching once answered.
    expect([...watchers.values()].every((set) => set.size === 0)).toBe(true)
  })

  it('a waiter is woken by the holder’s failure record and answers with the shared error at once', async () => {
    const failure = () => {
      throw Object.assign(new Error('invalid appsecret'), {
        code: 'E_PLATFORM_API',
        errcode: 40125,
        category: 'config',
      })
    }
    const source = slowSource(failure)
    const a = processBridge(source, sharedTier())
    const b = processBridge(source, sharedTier())
    const first = a.bridge.getAccessToken(key).catch((e: unknown) => e)
    await sleep(50)
    const second = await b.bridge.getAccessToken(key).catch((e: unknown) => e)
    expect(((await first) as { code?: unknown }).code).toBe('E_PLATFORM_API')
    expect(second).toMatchObject({ name: 'SharedFailureError', code: 'E_PLATFORM_API', errcode: 40125 })
    expect(source.calls).toBe(1)
    expect(b.waits.map((w) => w.outcome)).toEqual(['failure'])
    expect(b.waits[0]!.durationMs).toBeLessThan(WOKEN_BEFORE_MS)
  })

  it('a watch that throws, or none, leaves polling in charge: the waiter is served at a later look', async () => {
    for (const mode of ['throws', 'none'] as const) {
      const source = slowSource(() => ({ value: { access_token: `T-${mode}` }, expiresIn: 7200 }))
      const options = { lock: { pollInterval: 50 } }
      const a = processBridge(source, sharedTier(mode), options)
      const b = processBridge(source, sharedTier(mode), options)
      const first = a.bridge.getAccessToken({ ...key, appid: `wx${mode}` })
      await sleep(50)
      expect(await b.bridge.getAccessToken({ ...key, appid: `wx${mode}` })).toEqual({ access_token: `T-${mode}` })
      await first
      expect(source.calls).toBe(1)
      expect(b.waits.map((w) => w.outcome)).toEqual(['value'])
    }
  })

  it('a failure record the lock tier refuses to take is a tier-error; the caller still gets the error', async () => {
    const source = slowSource(() => {
      throw Object.assign(new Error('system busy'), { code: 'E_PLATFORM_API', errcode: -1 })
    })
    const { bridge } = processBridge(
      source,
      sharedTier('notify', (k) => k.endsWith(':failure')),
    )
    const tierErrors: BridgeEvents['tier-error'][] = []
    bridge.on('tier-error', (e) => tierErrors.push(e))
    const error = await bridge.getAccessToken(key).catch((e: unknown) => e)
    expect((error as { code?: unknown }).code).toBe('E_PLATFORM_API')
    expect(tierErrors.map((e) => [e.operation, e.storageKey])).toEqual([
      ['set', 'uni-id:weixin-mp:wx123:access-token:failure'],
    ])
  })
})
