import { isBridgeError } from '@open-bridge/core'
import { everyRendering } from '@open-bridge/core/testing'
import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore, type SqliteStoreOptions } from '../src/index.js'
import { holdWriteLock, stallProbe } from './fixtures/contention.js'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-sqlite-hard-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const newPath = () => join(dir, `hard-${++files}.db`)

describe('sqliteStore never blocks the event loop for long', () => {
  it('a write waiting 1.5 s on another process’s write lock lets the event loop run (longest stall well under the wait)', async () => {
    const path = newPath()
    const store = sqliteStore({ path, busyTimeout: 10_000 })
    const holder = await holdWriteLock(path, 1_500)
    try {
      const probe = stallProbe()
      const started = performance.now()
      await store.set('uni-id:weixin-mp:wx1:access-token', {
        value: { access_token: 'after-the-wait' },
        expiresAt: null,
      })
      const waited = performance.now() - started
      const { longestStallMs, ticks } = probe.stop()
      // The write had to wait for the other process (else this test proves nothing)…
      expect(waited).toBeGreaterThan(1_000)
      // …and meanwhile the loop ran: before, SQLite's busy handler froze it for the whole wait (~1500 ms).
      // 20 ms of blocking wait per attempt; the bound is generous for a loaded machine (see bench/sqlite-stall.bench.ts).
      expect(longestStallMs).toBeLessThan(400)
      expect(ticks).toBeGreaterThan(50)
      expect((await store.get('uni-id:weixin-mp:wx1:access-token'))?.value).toEqual({ access_token: 'after-the-wait' })
    } finally {
      await holder.kill()
      await store.close()
    }
  })

  it('gives up after busyTimeout in all with E_SQLITE_BUSY, also without freezing the loop, and carries no value', async () => {
    const path = newPath()
    const store = sqliteStore({ path, busyTimeout: 300 })
    const holder = await holdWriteLock(path, 3_000)
    try {
      const probe = stallProbe()
      const started = performance.now()
      const error = await store
        .set('uni-id:weixin-mp:wx2:access-token', { value: { access_token: 'SECRET-VALUE-123' }, expiresAt: null })
        .catch((e: unknown) => e)
      const waited = performance.now() - started
      const { longestStallMs } = probe.stop()
      expect(error).toMatchObject({ name: 'SqliteStoreError', code: 'E_SQLITE_BUSY' })
      expect(isBridgeError(error)).toBe(true)
      expect(everyRendering(error)).not.toContain('SECRET-VALUE-123')
      expect(waited).toBeGreaterThanOrEqual(250)
      expect(waited).toBeLessThan(2_000)
      expect(longestStallMs).toBeLessThan(200)
      // A lock operation is retried the same way.
      await expect(store.lock!.acquire('refresh', 'token', 1_000)).rejects.toMatchObject({ code: 'E_SQLITE_BUSY' })
      // Reads never wait for a writer (WAL).
      expect(await store.get('uni-id:weixin-mp:wx2:access-token')).toBeUndefined()
    } finally {
      await holder.kill()
      await store.close()
    }
  })
})

describe('sqliteStore file problems are typed errors naming the path’s problem', () => {
  const open = (path: string, options: Partial<SqliteStoreOptions> = {}): unknown => {
    try {
      const store = sqliteStore({ path, ...options })
      void store.close()
      return undefined
    } catch (error) {
      return error
    }
  }

  it('a file where a directory should be', () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    expect(open(join(file, 'store.db'))).toMatchObject({
      name: 'SqliteStoreError',
      code: 'E_SQLITE_PATH',
      field: 'path',
      message: expect.stringContaining('has a file where a directory is expected'),
    })
  })

  it('a path that is a directory', () => {
    const sub = join(dir, 'a-dir')
    mkdirSync(sub)
    expect(open(sub)).toMatchObject({
      code: 'E_SQLITE_PATH',
      field: 'path',
      message: expect.stringContaining('is a directory'),
    })
  })

  it('a file that is not a SQLite database', () => {
    const path = join(dir, 'not-a-db.db')
    writeFileSync(path, 'plain text, not a database; '.repeat(40))
    expect(open(path)).toMatchObject({
      code: 'E_SQLITE_PATH',
      message: expect.stringContaining('is not a SQLite database'),
    })
  })

  it('an old schema (credentials without expires_at) is E_SQLITE_SCHEMA naming the missing column', () => {
    const path = join(dir, 'old-schema.db')
    const old = new Database(path)
    old.exec('CREATE TABLE credentials (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
    old.close()
    expect(open(path)).toMatchObject({
      code: 'E_SQLITE_SCHEMA',
      field: 'path',
      message: expect.stringContaining('missing expires_at'),
    })
  })

  it('a directory nobody may write (immutable, chattr +i: root ignores modes)', () => {
    const locked = join(dir, 'immutable')
    mkdirSync(locked)
    execFileSync('chattr', ['+i', locked])
    try {
      expect(open(join(locked, 'store.db'))).toMatchObject({
        code: 'E_SQLITE_PATH',
        message: expect.stringContaining('is not writable'),
      })
    } finally {
      execFileSync('chattr', ['-i', locked])
    }
  })

  it.each([
    ['pruneInterval', { pruneInterval: 2 ** 31 }],
    ['pruneInterval', { pruneInterval: 1e15 }],
    ['busyTimeout', { busyTimeout: 2 ** 31 }],
  ])('refuses a %s Node timers cannot hold', (field, options) => {
    expect(open(newPath(), options)).toMatchObject({ code: 'E_INVALID_CONFIG', field })
  })
})

describe('sqliteStore setup under contention', () => {
  it('opens a file whose write lock another process holds for a moment (the one-time setup waits up to busyTimeout)', async () => {
    const path = newPath()
    // Created and in WAL mode, then locked: the new store's setup statements must wait, not fail.
    const holder = await holdWriteLock(path, 300)
    try {
      const store = sqliteStore({ path, busyTimeout: 5_000 })
      await store.set('uni-id:weixin-mp:wx9:access-token', { value: { access_token: 'opened' }, expiresAt: null })
      expect((await store.get('uni-id:weixin-mp:wx9:access-token'))?.value).toEqual({ access_token: 'opened' })
      await store.close()
    } finally {
      await holder.kill()
    }
  })
})

describe('sqliteStore driver failures that quote the value never pass it on', () => {
  // A trigger another connection installed (a foreign tool, a hostile schema change) fails every write with
  // SQLite's own message quoting the row: a real driver error that carries the credential.
  const quoting = (path: string) => {
    const db = new Database(path)
    db.exec(`
      CREATE TRIGGER quote_row BEFORE INSERT ON credentials BEGIN
        SELECT RAISE(ABORT, 'refused ' || NEW.value || ' over ' ||
          coalesce((SELECT value FROM credentials WHERE key = NEW.key), 'nothing'));
      END;
    `)
    db.close()
  }
  const key = 'uni-id:weixin-mp:wx7:access-token'

  it('set: E_SQLITE_FAILED with SQLite’s code, the value gone from every rendering', async () => {
    const path = newPath()
    const store = sqliteStore({ path })
    try {
      quoting(path)
      const error = await store
        .set(key, { value: { access_token: 'QUOTED-SECRET-1' }, expiresAt: null })
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ name: 'SqliteStoreError', code: 'E_SQLITE_FAILED' })
      expect(String((error as Error).message)).toContain('SQLITE_CONSTRAINT')
      // The driver's message did quote it (else this test proves nothing)…
      expect((error as { cause: Error }).cause.message).toContain('refused')
      // …and no rendering of the error shows it.
      expect(everyRendering(error)).not.toContain('QUOTED-SECRET-1')
    } finally {
      await store.close()
    }
  })

  it('compareAndSet: the new value and the expected one are both gone from every rendering', async () => {
    const path = newPath()
    const store = sqliteStore({ path })
    try {
      await store.set(key, { value: { access_token: 'EXPECTED-SECRET-2' }, expiresAt: null })
      quoting(path)
      const expected = (await store.get(key))!
      const error = await store.compareAndSet!(key, expected, {
        value: { access_token: 'QUOTED-SECRET-3' },
        expiresAt: null,
      }).catch((e: unknown) => e)
      expect(error).toMatchObject({ name: 'SqliteStoreError', code: 'E_SQLITE_FAILED' })
      expect((error as { cause: Error }).cause.message).toContain('refused')
      expect(everyRendering(error)).not.toContain('QUOTED-SECRET-3')
      expect(everyRendering(error)).not.toContain('EXPECTED-SECRET-2')
      // The failed swap changed nothing.
      expect((await store.get(key))?.value).toEqual({ access_token: 'EXPECTED-SECRET-2' })
    } finally {
      await store.close()
    }
  })
})
