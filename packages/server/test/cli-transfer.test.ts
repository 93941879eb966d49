/**
 * `open-bridge export | import | copy | rekey` as child processes, on a real redis-server and real SQLite files,
 * with encryption keys from the environment: exported lines are sealed (no token in them) unless --plain; an
 * export → import round trip into another store type; a uniCloud opendb-open-data export imported and read with
 * its remaining life; copy Redis → SQLite; never overwriting a longer-lived record; every command safe to run twice;
 * rekey under a new key, after which the old key can go.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, type CredentialStore, type EncryptionKey } from '@open-bridge/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { runCli } from './cli-run.js'

const OLD: EncryptionKey = { id: 'old-1', key: randomBytes(32).toString('base64') }
const NEW: EncryptionKey = { id: 'new-2', key: randomBytes(32).toString('base64') }
const TOKEN = 'ACCESS_TOKEN_cli_transfer_7777'
const SESSION = 'SESSION_KEY_cli_transfer_8888'
const app = { appid: 'wxtransfer01', platform: 'weixin-mp' } as const
const user = { ...app, openid: 'oTransfer01' }

let dir: string
let server: RedisServer
const env = { OB_OLD: OLD.key as string, OB_NEW: NEW.key as string }
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-transfer-'))
  server = await startRedisServer()
  await writeFile(
    join(dir, 'old.json'),
    JSON.stringify({ encryption: { keys: [{ id: OLD.id, key: { env: 'OB_OLD' } }] } }),
  )
  await writeFile(
    join(dir, 'rotated.json'),
    JSON.stringify({
      encryption: {
        keys: [
          { id: NEW.id, key: { env: 'OB_NEW' } },
          { id: OLD.id, key: { env: 'OB_OLD' } },
        ],
      },
    }),
  )
  await writeFile(join(dir, 'plain.json'), JSON.stringify({}))
})
afterAll(async () => {
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

const cli = (args: string[], input?: string) => runCli(args, { cwd: dir, env, ...(input ? { input } : {}) })
const sqliteUrl = (name: string) => `sqlite:./${name}`
const redisUrl = (db: number) => `${server.url}/${db}`

async function withBridge<T>(
  store: CredentialStore,
  keys: EncryptionKey[],
  use: (b: ReturnType<typeof createBridge>) => Promise<T>,
) {
  const bridge = createBridge({ stores: [store], encryption: { keys } })
  try {
    return await use(bridge)
  } finally {
    await bridge.close()
  }
}

describe('export, import and copy', () => {
  it('export is sealed (no token), import into Redis reads back with its life, a second import keeps all', async () => {
    const expiresAt = await withBridge(sqliteStore({ path: join(dir, 'a.db') }), [OLD], async (bridge) => {
      await bridge.setAccessToken(app, { access_token: TOKEN }, 3600)
      await bridge.setSessionKey(user, { session_key: SESSION }, -1)
      return (await bridge.getRecord('access_token', app))!.expiresAt
    })
    const exported = await cli(['export', '--config', 'old.json', '--from', sqliteUrl('a.db')])
    expect(exported.stderr).toContain('2 exported')
    expect(exported.code).toBe(0)
    expect(exported.stdout).not.toContain(TOKEN)
    expect(exported.stdout).not.toContain(SESSION)
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => l.kind).sort()).toEqual(['access_token', 'session_key'])
    expect(lines.every((l) => (l.value as { kid: string }).kid === OLD.id)).toBe(true)
    await writeFile(join(dir, 'backup.jsonl'), exported.stdout)

    const first = await cli(['import', 'backup.jsonl', '--config', 'old.json', '--to', redisUrl(1), '--json'])
    expect(JSON.parse(first.stdout)).toMatchObject({ command: 'import', written: 2, kept: 0, expired: 0, invalid: 0 })
    const again = await cli(['import', 'backup.jsonl', '--config', 'old.json', '--to', redisUrl(1), '--json'])
    expect(JSON.parse(again.stdout)).toMatchObject({ written: 0, kept: 2 })
    await withBridge(redisStore({ url: redisUrl(1) }), [OLD], async (bridge) => {
      expect(await bridge.getRecord('access_token', app)).toEqual({ value: { access_token: TOKEN }, expiresAt })
      expect(await bridge.getSessionKey(user)).toEqual({ session_key: SESSION })
    })
  })

  it('--plain exports in clear; without keys and without --plain export refuses (E_USAGE)', async () => {
    const plain = await cli(['export', '--config', 'old.json', '--from', sqliteUrl('a.db'), '--plain'])
    expect(plain.stdout).toContain(TOKEN)
    const refused = await cli(['export', '--config', 'plain.json', '--from', sqliteUrl('a.db')])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('E_USAGE')
  })

  it('copy Redis → SQLite, twice; a longer-lived record in the target is kept', async () => {
    const target = join(dir, 'copy.db')
    // The target already holds a session key that never expires: it lives longer than anything copied.
    await withBridge(sqliteStore({ path: target }), [OLD], (bridge) =>
      bridge.setSessionKey(user, { session_key: 'NEWER_SESSION_KEY_01' }, -1),
    )
    const first = await cli([
      'copy',
      '--config',
      'old.json',
      '--from',
      redisUrl(1),
      '--to',
      sqliteUrl('copy.db'),
      '--json',
    ])
    expect(JSON.parse(first.stdout)).toMatchObject({ command: 'copy', written: 1, kept: 1 })
    const again = await cli([
      'copy',
      '--config',
      'old.json',
      '--from',
      redisUrl(1),
      '--to',
      sqliteUrl('copy.db'),
      '--json',
    ])
    expect(JSON.parse(again.stdout)).toMatchObject({ written: 0, kept: 2 })
    await withBridge(sqliteStore({ path: target }), [OLD], async (bridge) => {
      expect(await bridge.getAccessToken(app)).toEqual({ access_token: TOKEN })
      expect(await bridge.getSessionKey(user)).toEqual({ session_key: 'NEWER_SESSION_KEY_01' })
    })
    const bytes = ['', '-wal'].filter((s) => existsSync(target + s)).map((s) => readFileSync(target + s, 'latin1'))
    expect(bytes.join('')).not.toContain(TOKEN)
  })

  it('imports a uniCloud opendb-open-data export: read by getAccessToken with its remaining life, expired skipped', async () => {
    const now = Date.now()
    const docs = [
      {
        _id: 'uni-id:weixin-mp:wxunicloud1:access-token',
        value: JSON.stringify({ access_token: 'UNI_TOKEN_000001' }),
        expired: now + 5_400_000,
      },
      {
        _id: 'uni-id:weixin-mp:wxunicloud1:oUni1:session-key',
        value: { session_key: 'UNI_SESSION_0001' },
        expired: -1,
      },
      {
        _id: 'uni-id:weixin-mp:wxunicloud2:access-token',
        value: { access_token: 'UNI_TOKEN_EXPIRED' },
        expired: now - 1000,
      },
      { _id: 'not-a-storage-key', value: {}, expired: -1 },
    ]
    await writeFile(join(dir, 'opendb-open-data.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n'))
    const run = await cli([
      'import',
      'opendb-open-data.jsonl',
      '--config',
      'old.json',
      '--to',
      sqliteUrl('uni.db'),
      '--json',
    ])
    expect(JSON.parse(run.stdout)).toMatchObject({ written: 2, expired: 1, invalid: 1 })
    await withBridge(sqliteStore({ path: join(dir, 'uni.db') }), [OLD], async (bridge) => {
      const key = { appid: 'wxunicloud1', platform: 'weixin-mp' } as const
      expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'UNI_TOKEN_000001' })
      expect((await bridge.getRecord('access_token', key))!.expiresAt).toBe(now + 5_400_000)
      expect(await bridge.getRecord('session_key', { ...key, openid: 'oUni1' })).toEqual({
        value: { session_key: 'UNI_SESSION_0001' },
        expiresAt: null,
      })
    })
  })

  it('a store that cannot list its keys: E_STORE_CANNOT_LIST', async () => {
    const run = await cli(['copy', '--config', 'old.json', '--from', 'memory', '--to', sqliteUrl('x.db')])
    expect(run.stderr).toContain('E_STORE_CANNOT_LIST')
    expect(run.code).toBe(1)
  })
})

describe('rekey', () => {
  it('re-seals every record under the first key; a second run finds them current; then the old key can go', async () => {
    const path = join(dir, 'rekey.db')
    await withBridge(sqliteStore({ path }), [OLD], async (bridge) => {
      await bridge.setAccessToken(app, { access_token: TOKEN }, 3600)
      await bridge.setSessionKey(user, { session_key: SESSION }, 3600)
    })
    const first = await cli(['rekey', '--config', 'rotated.json', '--store', sqliteUrl('rekey.db'), '--json'])
    expect(JSON.parse(first.stdout)).toMatchObject({ command: 'rekey', resealed: 2, current: 0 })
    const again = await cli(['rekey', '--config', 'rotated.json', '--store', sqliteUrl('rekey.db'), '--json'])
    expect(JSON.parse(again.stdout)).toMatchObject({ resealed: 0, current: 2 })
    await withBridge(sqliteStore({ path }), [NEW], async (bridge) => {
      expect(await bridge.getAccessToken(app)).toEqual({ access_token: TOKEN })
      expect(await bridge.getSessionKey(user)).toEqual({ session_key: SESSION })
    })
  })
})

describe('get with encryption on', () => {
  it('reports the life of a sealed record (the bridge reads it, not the raw tier)', async () => {
    await writeFile(
      join(dir, 'sealed-get.json'),
      JSON.stringify({
        stores: ['sqlite:./sealed-get.db'],
        encryption: { keys: [{ id: OLD.id, key: { env: 'OB_OLD' } }] },
      }),
    )
    const key = ['--appid', app.appid, '--platform', app.platform]
    const value = JSON.stringify({ access_token: TOKEN })
    const set = await cli([
      'set',
      'access_token',
      ...key,
      '--value',
      value,
      '--expires-in',
      '7200',
      '--config',
      'sealed-get.json',
    ])
    expect(set.code, set.stderr).toBe(0)
    // A new process, no memory tier: the record comes sealed from the SQLite file.
    const get = await cli(['get', 'access_token', ...key, '--config', 'sealed-get.json', '--json'])
    expect(get.code, get.stderr).toBe(0)
    const doc = JSON.parse(get.stdout) as { expiresInSeconds: number | null }
    expect(doc.expiresInSeconds).toBeGreaterThan(7_000)
    expect(readFileSync(join(dir, 'sealed-get.db')).toString('latin1')).not.toContain(TOKEN)
  })
})
