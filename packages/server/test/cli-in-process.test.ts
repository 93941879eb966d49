/**
 * The CLI's commands run in this process through `runCli` (the child-process tests prove the binary; these are the
 * same code paths, counted by coverage): export → import → copy → rekey over SQLite files with keys from the
 * environment, and doctor's persistence check on a real Redis without persistence.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, keyField, registerKind, type EncryptionKey } from '@open-bridge/core'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { freePort, startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { runCli } from '../src/cli/program.js'

const OLD: EncryptionKey = { id: 'inproc-old', key: randomBytes(32).toString('base64') }
const NEW: EncryptionKey = { id: 'inproc-new', key: randomBytes(32).toString('base64') }
const TOKEN = 'ACCESS_TOKEN_in_process_4242'
const app = { appid: 'wxinprocess01', platform: 'weixin-mp' } as const

let dir: string
let redis: RedisServer
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-cli-inproc-'))
  redis = await startRedisServer()
  process.env.OB_INPROC_OLD = OLD.key as string
  process.env.OB_INPROC_NEW = NEW.key as string
  await writeFile(
    join(dir, 'old.json'),
    JSON.stringify({ encryption: { keys: [{ id: OLD.id, key: { env: 'OB_INPROC_OLD' } }] } }),
  )
  await writeFile(
    join(dir, 'rotated.json'),
    JSON.stringify({
      encryption: {
        keys: [
          { id: NEW.id, key: { env: 'OB_INPROC_NEW' } },
          { id: OLD.id, key: { env: 'OB_INPROC_OLD' } },
        ],
      },
    }),
  )
})
afterAll(async () => {
  delete process.env.OB_INPROC_OLD
  delete process.env.OB_INPROC_NEW
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** Runs the CLI in this process; what it wrote on stdout and stderr, and its exit code. */
async function run(argv: string[]): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  })
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  })
  try {
    return { code: await runCli(argv), stdout, stderr }
  } finally {
    vi.restoreAllMocks()
  }
}
const sqlite = (name: string) => `sqlite:${join(dir, name)}`
const config = (name: string) => join(dir, name)

describe('export, import, copy and rekey in process', () => {
  it('a sealed export round-trips through import, copy carries it on, rekey re-seals it under the new key', async () => {
    const seeded = createBridge({ stores: [sqliteStore({ path: join(dir, 'a.db') })], encryption: { keys: [OLD] } })
    await seeded.setAccessToken(app, { access_token: TOKEN }, 3600)
    await seeded.close()

    const exported = await run(['export', '--config', config('old.json'), '--from', sqlite('a.db')])
    expect(exported.code, exported.stderr).toBe(0)
    expect(exported.stdout).not.toContain(TOKEN)
    expect(exported.stderr).toContain('1 exported')
    await writeFile(join(dir, 'backup.jsonl'), exported.stdout)

    const imported = await run([
      'import',
      join(dir, 'backup.jsonl'),
      '--config',
      config('old.json'),
      '--to',
      sqlite('b.db'),
      '--json',
    ])
    expect(imported.code, imported.stderr).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ command: 'import', written: 1, kept: 0 })

    const copied = await run([
      'copy',
      '--config',
      config('old.json'),
      '--from',
      sqlite('b.db'),
      '--to',
      `${redis.url}/2`,
      '--json',
    ])
    expect(copied.code, copied.stderr).toBe(0)
    expect(JSON.parse(copied.stdout)).toMatchObject({ command: 'copy', written: 1 })

    const rekeyed = await run([
      'rekey',
      '--config',
      config('rotated.json'),
      '--store',
      sqlite('b.db'),
      '--json',
      '--progress',
    ])
    expect(rekeyed.code, rekeyed.stderr).toBe(0)
    expect(JSON.parse(rekeyed.stdout)).toMatchObject({ command: 'rekey', resealed: 1, current: 0 })
    // --progress draws on stderr even with --json (stdout keeps the one document): the bar, counted first.
    expect(rekeyed.stderr).toContain(`rekey sqlite:${join(dir, 'b.db')}: [${'#'.repeat(24)}] 100% 1 / 1`)
    expect(rekeyed.stderr).not.toContain(TOKEN)
    // Under the new key alone, the re-sealed record opens.
    const reader = createBridge({ stores: [sqliteStore({ path: join(dir, 'b.db') })], encryption: { keys: [NEW] } })
    expect(await reader.getAccessToken(app)).toEqual({ access_token: TOKEN })
    await reader.close()
  })

  it('moves a registered kind (a durable refresh token) too, found by its parseStorageKey; leaves other keys alone', async () => {
    const refresh = registerKind<{ component: string; account: string }, { refresh_token: string }>({
      name: 'inproc_refresh_token',
      keyFields: { component: keyField.segment(), account: keyField.segment() },
      storageKey: ({ component, account }) => `inproc-family:${component}:${account}:refresh-token`,
      parseStorageKey: (storageKey) => {
        const [family, component, account, type, ...rest] = storageKey.split(':')
        if (family !== 'inproc-family' || type !== 'refresh-token' || rest.length > 0) return undefined
        return component === undefined || account === undefined ? undefined : { component, account }
      },
      credentialField: 'refresh_token',
      durable: true,
    })
    const REFRESH = 'REFRESH_TOKEN_in_process_9191'
    const seeded = createBridge({ stores: [sqliteStore({ path: join(dir, 'r.db') })], encryption: { keys: [OLD] } })
    await seeded.credential(refresh).set({ component: 'wxcomp01', account: 'wxacct01' }, { refresh_token: REFRESH })
    await seeded.close()
    // A record of no known kind in the same file: walks leave it where it is.
    const other = sqliteStore({ path: join(dir, 'r.db') })
    await other.set('someone-else:data', { value: { access_token: 'not-ours' }, expiresAt: null })
    await other.close()

    const exported = await run(['export', '--config', config('old.json'), '--from', sqlite('r.db')])
    expect(exported.code, exported.stderr).toBe(0)
    expect(exported.stderr).toContain('1 exported')
    expect(exported.stdout).not.toContain(REFRESH)
    expect(JSON.parse(exported.stdout)).toMatchObject({
      key: 'inproc-family:wxcomp01:wxacct01:refresh-token',
      kind: 'inproc_refresh_token',
      expiresAt: null,
    })
    await writeFile(join(dir, 'refresh.jsonl'), exported.stdout)
    const imported = await run([
      'import',
      join(dir, 'refresh.jsonl'),
      '--config',
      config('old.json'),
      '--to',
      sqlite('s.db'),
      '--json',
    ])
    expect(JSON.parse(imported.stdout)).toMatchObject({ command: 'import', written: 1, invalid: 0 })
    const copied = await run([
      'copy',
      '--config',
      config('old.json'),
      '--from',
      sqlite('s.db'),
      '--to',
      `${redis.url}/3`,
      '--json',
    ])
    expect(JSON.parse(copied.stdout)).toMatchObject({ command: 'copy', written: 1 })

    const reader = createBridge({ stores: [sqliteStore({ path: join(dir, 's.db') })], encryption: { keys: [OLD] } })
    expect(await reader.credential(refresh).get({ component: 'wxcomp01', account: 'wxacct01' })).toEqual({
      refresh_token: REFRESH,
    })
    await reader.close()
  })

  it('copy Redis → SQLite while a bridge serves reads and refreshes from Redis: every read answered, the newest kept', async () => {
    const APPS = 1_000
    const appOf = (i: number) => ({ appid: `wxcopylive${String(i).padStart(6, '0')}`, platform: 'weixin-mp' as const })
    const tokenOf = (i: number, generation: number) => `COPY_LIVE_${i}_g${generation}`
    const redisUrl = `${redis.url}/4`
    const serving = createBridge({ stores: [redisStore({ url: redisUrl })], encryption: { keys: [OLD] } })
    for (let i = 0; i < APPS; i++) await serving.setAccessToken(appOf(i), { access_token: tokenOf(i, 0) }, 3600)
    // What each app's token is now: a reader must get exactly that (or the one just replaced, mid-write).
    const generation = new Array<number>(APPS).fill(0)
    let reads = 0
    let wrong = 0
    let failed = 0
    let refreshes = 0
    let copying = true
    const serve = (async () => {
      for (let n = 0; copying; n++) {
        const i = n % APPS
        try {
          if (n % 25 === 0) {
            // A refresh: a new token that lives longer, written while the copy walks the keys.
            const next = generation[i]! + 1
            await serving.setAccessToken(appOf(i), { access_token: tokenOf(i, next) }, 7200)
            generation[i] = next
            refreshes++
          } else {
            const got = await serving.getAccessToken(appOf(i))
            reads++
            if (got?.access_token !== tokenOf(i, generation[i]!)) wrong++
          }
        } catch {
          failed++
        }
      }
    })()
    const copied = await run([
      'copy',
      '--config',
      config('old.json'),
      '--from',
      redisUrl,
      '--to',
      sqlite('live.db'),
      '--json',
    ])
    copying = false
    await serve
    await serving.close()
    expect(copied.code, copied.stderr).toBe(0)
    expect(reads).toBeGreaterThan(0)
    expect(refreshes).toBeGreaterThan(0)
    expect({ wrong, failed }).toEqual({ wrong: 0, failed: 0 })
    const counts = JSON.parse(copied.stdout) as { written: number; kept: number }
    expect(counts.written + counts.kept).toBe(APPS)

    // A second copy after the reads stopped brings what was refreshed meanwhile; then SQLite holds the newest of all.
    const again = await run([
      'copy',
      '--config',
      config('old.json'),
      '--from',
      redisUrl,
      '--to',
      sqlite('live.db'),
      '--json',
    ])
    expect(again.code, again.stderr).toBe(0)
    const reader = createBridge({ stores: [sqliteStore({ path: join(dir, 'live.db') })], encryption: { keys: [OLD] } })
    for (let i = 0; i < APPS; i++) {
      expect((await reader.getAccessToken(appOf(i)))?.access_token).toBe(tokenOf(i, generation[i]!))
    }
    await reader.close()
  })

  it('a copy whose target fails stops with the typed error (exit ≠ 0), no stack, no value', async () => {
    const port = await freePort()
    const failed = await run([
      'copy',
      '--config',
      config('old.json'),
      '--from',
      sqlite('a.db'),
      '--to',
      `redis://127.0.0.1:${port}/0`,
    ])
    expect(failed.code).not.toBe(0)
    expect(failed.stderr).toContain('open-bridge: E_REDIS_UNAVAILABLE')
    expect(failed.stderr).not.toContain(TOKEN)
    expect(failed.stderr).not.toMatch(/\n\s+at /)
  })

  it('refuses a sealed export without keys (E_USAGE, exit 2) and an import of a file that is not there', async () => {
    await writeFile(join(dir, 'plain.json'), JSON.stringify({}))
    const refused = await run(['export', '--config', config('plain.json'), '--from', sqlite('a.db')])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('E_USAGE')
    const missing = await run([
      'import',
      join(dir, 'no-such-file.jsonl'),
      '--config',
      config('old.json'),
      '--to',
      sqlite('c.db'),
    ])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/open-bridge: E_[A-Z_]+/)
  })
})

describe('doctor in process', () => {
  it('reaches the tiers and warns that a Redis tier without persistence loses what it holds', async () => {
    await writeFile(join(dir, 'doctor.json'), JSON.stringify({ stores: ['memory', redis.url, sqlite('doctor.db')] }))
    const report = await run(['doctor', '--config', config('doctor.json'), '--json'])
    expect(report.code, report.stderr).toBe(0)
    const checks = (JSON.parse(report.stdout) as { checks: { check: string; status: string; detail: string }[] }).checks
    expect(checks.find((c) => c.check === 'tier redis')).toMatchObject({ status: 'ok' })
    expect(checks.find((c) => c.check === 'persistence redis')).toMatchObject({ status: 'warn' })
    const human = await run(['doctor', '--config', config('doctor.json')])
    expect(human.stdout).toMatch(/^warn {2}persistence redis/m)
    expect(human.stdout).toContain('all checks passed')
  })
})
