/**
 * Encryption at rest with real backends: a real `redis-server` (scanned with SCAN + GET) and real SQLite files
 * (their bytes read back, WAL included). With `encryption` on, no token, session key or refresh token is in either;
 * an envelope moved under another key or with one byte changed fails with E_SEAL_OPEN_FAILED; rotation; a wrong
 * key names its id; plain and sealed records side by side with `acceptPlain`. The sealed wrapper also passes the
 * store contract (lock and compare-and-set included) over both backends.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  createKeyring,
  isBridgeError,
  memoryStore,
  sealedStore,
  type BridgeEvents,
  type CredentialStore,
  type EncryptionKey,
  type SealOpenError,
} from '@open-bridge/core'
import { runStoreContract } from '@open-bridge/core/testing'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startRedisServer, type RedisServer } from '../../test-support/redis-server.js'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-sealed-'))
let files = 0
const newPath = () => join(dir, `sealed-${++files}.db`)
let server: RedisServer
let raw: Redis
beforeAll(async () => {
  server = await startRedisServer()
  raw = new Redis(server.url)
})
afterAll(async () => {
  raw?.disconnect()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const A: EncryptionKey = { id: 'k-2026-01', key: randomBytes(32).toString('base64') }
const B: EncryptionKey = { id: 'k-2026-02', key: randomBytes(32).toString('base64') }

const keyring = createKeyring([A])
const paths = new WeakMap<object, string>()

describe('sealedStore(redisStore) passes the store contract', () => {
  runStoreContract('sealedStore(redisStore)', {
    create: () => sealedStore(redisStore({ url: server.url }), { keyring }),
    lock: true,
    compareAndSet: true,
    // The seal keeps its store's write notices: waiters on a sealed Redis tier are woken too.
    watch: true,
    // Nothing listens on a fresh free port: every command fails through the seal, and no password or value shows.
    failing: async () => ({
      store: sealedStore(
        redisStore({ url: `redis://:Sealed-pw-31@127.0.0.1:${await freePort()}`, socketTimeout: 200 }),
        { keyring },
      ),
      secrets: ['Sealed-pw-31'],
    }),
  })
})

describe('sealedStore(sqliteStore) passes the store contract', () => {
  runStoreContract('sealedStore(sqliteStore)', {
    create: () => {
      const path = newPath()
      const store = sealedStore(sqliteStore({ path }), { keyring })
      paths.set(store, path)
      return store
    },
    destroy: (store) => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(paths.get(store)! + suffix, { force: true })
    },
    lock: true,
    compareAndSet: true,
    // Another connection holds the write lock: every write through the seal gives up after busyTimeout.
    failing: () => {
      const path = newPath()
      const store = sealedStore(sqliteStore({ path, busyTimeout: 50 }), { keyring })
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
})

/** Every value Redis holds, scanned as an operator with redis-cli --scan + GET would. */
async function redisDump(): Promise<string> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await raw.scan(cursor, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  const values = await Promise.all(keys.map((key) => raw.type(key).then((t) => (t === 'string' ? raw.get(key) : ''))))
  return `${keys.join('\n')}\n${values.join('\n')}`
}

/** The bytes of the SQLite database file and its WAL, as a copied file would carry them. */
function sqliteBytes(path: string): string {
  return ['', '-wal']
    .filter((suffix) => existsSync(path + suffix))
    .map((suffix) => readFileSync(path + suffix).toString('latin1'))
    .join('')
}

const app = { appid: 'wxsealed0001', platform: 'weixin-mp' } as const
const user = { ...app, openid: 'openidSealed01' }
const TOKEN = 'ACCESS_TOKEN_rest_0123456789abcdef'
const SESSION = 'SESSIONKEY_rest_zyxw9876'
const REFRESH = 'REFRESH_TOKEN_rest_5555aaaa'
const SK = 'uni-id:weixin-mp:wxsealed0001:access-token'

function threeTiers(encryption: Parameters<typeof createBridge>[0]['encryption'], path: string, prefix: string) {
  const redis = redisStore({ url: server.url, keyPrefix: prefix })
  const sqlite = sqliteStore({ path })
  const bridge = createBridge({ stores: [memoryStore(), redis, sqlite], ...(encryption ? { encryption } : {}) })
  return bridge
}

describe('what the backends hold', () => {
  it('with encryption on, neither Redis nor the SQLite file contains a token, session key or refresh token', async () => {
    const path = newPath()
    const bridge = threeTiers({ keys: [A] }, path, 'on:')
    await bridge.setAccessToken(app, { access_token: TOKEN }, 600)
    await bridge.setSessionKey(user, { session_key: SESSION }, 600)
    await bridge.set('user_refresh_token', user, { refresh_token: REFRESH }, 600)
    expect(await bridge.getSessionKey(user)).toEqual({ session_key: SESSION })
    const dump = await redisDump()
    const bytes = sqliteBytes(path)
    for (const secret of [TOKEN, SESSION, REFRESH]) {
      expect(dump).not.toContain(secret)
      expect(bytes).not.toContain(secret)
    }
    // The records are there, sealed, with the key id and the expiry readable to the store.
    expect(dump).toContain('"kid":"k-2026-01"')
    expect(bytes).toContain('k-2026-01')
    expect(await raw.pttl('on:uni-id:weixin-mp:wxsealed0001:access-token')).toBeGreaterThan(500_000)
    await bridge.close()
  })

  it('the same writes without encryption do show them (the grep can fail)', async () => {
    const path = newPath()
    const bridge = threeTiers(undefined, path, 'off:')
    await bridge.setAccessToken(app, { access_token: TOKEN }, 600)
    await bridge.setSessionKey(user, { session_key: SESSION }, 600)
    expect(await redisDump()).toContain(SESSION)
    expect(sqliteBytes(path)).toContain(TOKEN)
    await bridge.close()
  })
})

describe('records that do not open', () => {
  it('an envelope moved under another key, or with one byte changed, fails with the code and key id', async () => {
    const store = redisStore({ url: server.url, keyPrefix: 'moved:' })
    const failures: SealOpenError[] = []
    const sealed = sealedStore(store, { keyring, onOpenFailed: (e) => failures.push(e) })
    await sealed.set(SK, { value: { access_token: TOKEN }, expiresAt: Date.now() + 600_000 })
    const text = (await raw.get(`moved:${SK}`))!
    const other = 'uni-id:weixin-mp:wxsealed0002:access-token'
    await raw.set(`moved:${other}`, text, 'PX', 600_000)
    expect(await sealed.get(other)).toBeUndefined()
    // One base64 character of the ciphertext changed: one byte of it differs.
    const changed = text.replace(/"c":"(.)/, (_m, ch: string) => `"c":"${ch === 'A' ? 'B' : 'A'}`)
    expect(changed).not.toBe(text)
    await raw.set(`moved:${SK}`, changed, 'PX', 600_000)
    expect(await sealed.get(SK)).toBeUndefined()
    expect(failures.map((e) => [e.code, e.reason, e.keyId])).toEqual([
      ['E_SEAL_OPEN_FAILED', 'authentication', 'k-2026-01'],
      ['E_SEAL_OPEN_FAILED', 'authentication', 'k-2026-01'],
    ])
    await store.close()
  })

  it('a SQLite file read with the wrong key: fetchable kinds are misses (event), a session key is the error', async () => {
    const path = newPath()
    const writer = createBridge({ stores: [sqliteStore({ path })], encryption: { keys: [A] } })
    await writer.setAccessToken(app, { access_token: TOKEN }, 600)
    await writer.setSessionKey(user, { session_key: SESSION }, 600)
    await writer.close()
    const events: BridgeEvents['seal-open-failed'][] = []
    const reader = createBridge({ stores: [memoryStore(), sqliteStore({ path })], encryption: { keys: [B] } })
    reader.on('seal-open-failed', (e) => void events.push(e))
    expect(await reader.getAccessToken(app)).toBeNull()
    const error = await reader.getSessionKey(user).catch((e: unknown) => e)
    expect(isBridgeError(error, 'E_SEAL_OPEN_FAILED')).toBe(true)
    expect((error as SealOpenError).keyId).toBe('k-2026-01')
    expect((error as Error).message).toContain('k-2026-01')
    expect(events.map((e) => [e.reason, e.keyId, e.surfaced])).toEqual([
      ['unknown-key', 'k-2026-01', false],
      ['unknown-key', 'k-2026-01', true],
    ])
    await reader.close()
  })
})

describe('rotation and migration', () => {
  it('old + new key both open; after rewriting under the new key the old one can go', async () => {
    const path = newPath()
    const old = createBridge({ stores: [sqliteStore({ path })], encryption: { keys: [A] } })
    await old.setAccessToken(app, { access_token: TOKEN }, 600)
    await old.close()
    const both = createBridge({ stores: [sqliteStore({ path })], encryption: { keys: [B, A] } })
    expect(await both.getAccessToken(app)).toEqual({ access_token: TOKEN })
    // What rekey does for each record: read (opens with A), write (seals with B).
    await both.setAccessToken(app, { access_token: TOKEN }, 600)
    await both.close()
    expect(sqliteBytes(path)).toContain('k-2026-02')
    const onlyNew = createBridge({ stores: [sqliteStore({ path })], encryption: { keys: [B] } })
    expect(await onlyNew.getAccessToken(app)).toEqual({ access_token: TOKEN })
    await onlyNew.close()
  })

  it('plain and sealed records side by side: read with acceptPlain, the plain one sealed on its next write', async () => {
    const prefix = 'mixed:'
    const plain = redisStore({ url: server.url, keyPrefix: prefix })
    await plain.set(SK, { value: { access_token: TOKEN }, expiresAt: Date.now() + 600_000 })
    const tiers = (): CredentialStore[] => [memoryStore(), redisStore({ url: server.url, keyPrefix: prefix })]
    const bridge = createBridge({ stores: tiers(), encryption: { keys: [A], acceptPlain: true } })
    await bridge.setSessionKey(user, { session_key: SESSION }, 600)
    expect(await bridge.getAccessToken(app)).toEqual({ access_token: TOKEN })
    expect(await bridge.getSessionKey(user)).toEqual({ session_key: SESSION })
    expect(await raw.get(`${prefix}${SK}`)).toContain(TOKEN)
    await bridge.setAccessToken(app, { access_token: TOKEN }, 600)
    expect(await raw.get(`${prefix}${SK}`)).not.toContain(TOKEN)
    await bridge.close()
    // Without acceptPlain a plain record is refused.
    await plain.set(SK, { value: { access_token: TOKEN }, expiresAt: Date.now() + 600_000 })
    const strict = createBridge({ stores: tiers(), encryption: { keys: [A] } })
    const reasons: string[] = []
    strict.on('seal-open-failed', (e) => void reasons.push(e.reason))
    expect(await strict.getAccessToken(app)).toBeNull()
    expect(reasons[0]).toBe('plain')
    await strict.close()
    await plain.close()
  })
})
