import { setTimeout as sleep } from 'node:timers/promises'
import { isBridgeError } from '@open-bridge/core'
import { runStoreContract } from '@open-bridge/core/testing'
import Database from 'better-sqlite3'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore, SqliteStoreError, type SqliteStoreOptions } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const newPath = () => join(dir, `store-${++files}.db`)

const paths = new WeakMap<object, string>()
runStoreContract('sqliteStore', {
  create: () => {
    const path = newPath()
    const store = sqliteStore({ path })
    paths.set(store, path)
    return store
  },
  destroy: (store) => {
    const path = paths.get(store)!
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  },
  lock: true,
  compareAndSet: true,
  // Another connection holds the write lock: every write gives up after busyTimeout (reads still work: WAL).
  failing: () => {
    const path = newPath()
    const store = sqliteStore({ path, busyTimeout: 50 })
    const holder = new Database(path)
    holder.exec('BEGIN IMMEDIATE')
    return {
      store,
      cleanup: () => {
        holder.exec('ROLLBACK')
        holder.close()
      },
    }
  },
})

describe('sqliteStore file and rows', () => {
  it('creates the database file, its -wal and its -shm readable by the owner only (0600)', async () => {
    const path = join(dir, 'nested', 'perm.db')
    const store = sqliteStore({ path })
    await store.set('uni-id:weixin-mp:wx1:access-token', { value: { access_token: 'a' }, expiresAt: null })
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(file)).toBe(true)
      expect(statSync(file).mode & 0o777).toBe(0o600)
    }
    await store.close()
  })

  it('uses WAL mode and keeps the value as JSON with its absolute expiry', async () => {
    const path = newPath()
    const store = sqliteStore({ path })
    const expiresAt = Date.now() + 7_200_000
    await store.set('uni-id:weixin-h5:wx2:ticket', { value: { ticket: 'T' }, expiresAt })
    const raw = new Database(path, { readonly: true })
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(raw.prepare('SELECT key, value, expires_at FROM credentials').all()).toEqual([
      { key: 'uni-id:weixin-h5:wx2:ticket', value: '{"ticket":"T"}', expires_at: expiresAt },
    ])
    raw.close()
    await store.close()
  })

  it('prunes expired credentials and locks on its timer', async () => {
    const path = newPath()
    const store = sqliteStore({ path, pruneInterval: 100 })
    await store.set('short', { value: { access_token: 's' }, expiresAt: Date.now() + 200 })
    await store.set('long', { value: { access_token: 'l' }, expiresAt: Date.now() + 60_000 })
    expect(await store.lock!.acquire('lease', 'holder', 200)).toBe(true)
    const raw = new Database(path, { readonly: true })
    const keys = () => raw.prepare('SELECT key FROM credentials ORDER BY key').pluck().all()
    const locks = () => raw.prepare('SELECT name FROM locks').pluck().all()
    expect(keys()).toEqual(['long', 'short'])
    expect(locks()).toEqual(['lease'])
    const deadline = Date.now() + 10_000
    while ((keys().length > 1 || locks().length > 0) && Date.now() < deadline) await sleep(100)
    expect(keys()).toEqual(['long'])
    expect(locks()).toEqual([])
    raw.close()
    await store.close()
  })

  it('reopens an existing file with its rows', async () => {
    const path = newPath()
    const first = sqliteStore({ path })
    await first.set('k', { value: { access_token: 'kept' }, expiresAt: null })
    await first.close()
    const second = sqliteStore({ path })
    expect(await second.get('k')).toEqual({ value: { access_token: 'kept' }, expiresAt: null })
    await second.close()
  })

  it('rejects a row that does not hold a JSON object with E_SQLITE_CORRUPT_RECORD, naming the key only', async () => {
    const path = newPath()
    const store = sqliteStore({ path })
    const raw = new Database(path)
    raw.prepare('INSERT INTO credentials (key, value, expires_at) VALUES (?, ?, NULL)').run('bad', 'SECRET-ISH garbage')
    raw.close()
    const error = await store.get('bad').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SqliteStoreError)
    expect((error as SqliteStoreError).code).toBe('E_SQLITE_CORRUPT_RECORD')
    expect((error as SqliteStoreError).field).toBe('bad')
    expect((error as Error).message).not.toContain('SECRET-ISH')
    await store.close()
  })
})

describe('sqliteStore options', () => {
  const cases: Array<[string, unknown]> = [
    ['options', undefined],
    ['path', {}],
    ['path', { path: '' }],
    ['path', { path: 42 }],
    ['path', { path: ':memory:' }],
    ['pruneInterval', { path: 'x.db', pruneInterval: 0 }],
    ['pruneInterval', { path: 'x.db', pruneInterval: '1000' }],
    ['busyTimeout', { path: 'x.db', busyTimeout: -1 }],
    ['busyTimeout', { path: 'x.db', busyTimeout: 1.5 }],
    ['name', { path: 'x.db', name: '' }],
  ]
  it.each(cases)('rejects a bad %s with E_INVALID_CONFIG naming it', (field, options) => {
    let error: unknown
    try {
      sqliteStore(options as SqliteStoreOptions)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(SqliteStoreError)
    expect(isBridgeError(error, 'E_INVALID_CONFIG')).toBe(true)
    expect((error as SqliteStoreError).field).toBe(field)
    expect(existsSync('x.db')).toBe(false)
  })
})
