/**
 * `npm run bench -- transfer`: the
 * throughput of `open-bridge copy` and `open-bridge rekey` on 100,000 sealed records, in records per second, against
 * the floor of the same walk done by hand in the same run (SCAN / SELECT the keys, GET each, SET each in the other
 * store, no sealing, no checks). The commands run in this process through `runCli`, as an operator's would.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { sealedStore, createKeyring, type CredentialStore } from '@open-bridge/core'
import { runCli } from '../packages/server/src/cli/program.js'
import { startRedisServer } from '../test-support/redis-server.js'

const RECORDS = Number(process.env.OB_BENCH_RECORDS ?? 100_000)
const OLD = { id: 'bench-old', key: randomBytes(32).toString('base64') }
const NEW = { id: 'bench-new', key: randomBytes(32).toString('base64') }

/** Runs the CLI with its stdout captured (one JSON document with --json); returns the parsed counts. */
async function cli(argv: string[]): Promise<Record<string, number>> {
  let out = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  }) as typeof process.stdout.write
  let code: number | undefined
  try {
    code = await runCli([...argv, '--json', '--no-progress'])
  } finally {
    process.stdout.write = write
  }
  if (code !== 0) throw new Error(`bench: ${argv[0]} exited ${code}: ${out}`)
  return JSON.parse(out) as Record<string, number>
}

async function seed(store: CredentialStore): Promise<void> {
  const sealed = sealedStore(store, { keyring: createKeyring([OLD]) })
  const expiresAt = Date.now() + 3_600_000
  const batch: Promise<void>[] = []
  for (let i = 0; i < RECORDS; i++) {
    const key = `uni-id:weixin-mp:wxbenchtransfer${String(i).padStart(7, '0')}:access-token`
    batch.push(sealed.set(key, { value: { access_token: `TOKEN_${i}_${'x'.repeat(120)}` }, expiresAt }))
    if (batch.length === 256) await Promise.all(batch.splice(0))
  }
  await Promise.all(batch)
}

/** The floor: the same keys walked and moved by hand, raw (sealed bytes as they are), sequentially like the CLI. */
async function handCopy(from: CredentialStore, to: CredentialStore): Promise<number> {
  let n = 0
  for await (const key of from.keys!()) {
    const record = await from.get(key)
    if (record !== undefined) await to.set(key, record)
    n++
  }
  return n
}

function line(name: string, records: number, ms: number, baselineRate?: number): string {
  const rate = (records / ms) * 1000
  const ratio = baselineRate === undefined ? '' : `  ${(rate / baselineRate).toFixed(2)}× the hand-made walk`
  return `  ${name.padEnd(44)} ${records.toLocaleString('en').padStart(8)} records  ${(ms / 1000).toFixed(1).padStart(6)} s  ${Math.round(rate).toLocaleString('en').padStart(8)} records/s${ratio}`
}

export async function run(): Promise<void> {
  const server = await startRedisServer()
  const dir = mkdtempSync(join(tmpdir(), 'open-bridge-bench-transfer-'))
  process.env.OB_BENCH_OLD = OLD.key
  process.env.OB_BENCH_NEW = NEW.key
  const oldConfig = join(dir, 'old.json')
  const rotated = join(dir, 'rotated.json')
  writeFileSync(oldConfig, JSON.stringify({ encryption: { keys: [{ id: OLD.id, key: { env: 'OB_BENCH_OLD' } }] } }))
  writeFileSync(
    rotated,
    JSON.stringify({
      encryption: {
        keys: [
          { id: NEW.id, key: { env: 'OB_BENCH_NEW' } },
          { id: OLD.id, key: { env: 'OB_BENCH_OLD' } },
        ],
      },
    }),
  )
  const stores: CredentialStore[] = []
  const open = <T extends CredentialStore>(store: T): T => {
    stores.push(store)
    return store
  }
  try {
    console.log(`\ntransfer: copy and rekey of ${RECORDS.toLocaleString('en')} sealed records (records per second)`)
    const source = open(sqliteStore({ path: join(dir, 'source.db') }))
    let started = performance.now()
    await seed(source)
    console.log(line('seeding SQLite (sealed sets, 256 in flight)', RECORDS, performance.now() - started))

    started = performance.now()
    const moved = await handCopy(source, open(redisStore({ url: `${server.url}/1` })))
    const floorMs = performance.now() - started
    const floorRate = (moved / floorMs) * 1000
    console.log(line('hand-made walk SQLite → Redis (floor)', moved, floorMs))

    /** Runs one command, timed, and prints its throughput on the count it reports as done. */
    const timed = async (name: string, counted: string, argv: string[]) => {
      const began = performance.now()
      const counts = await cli(argv)
      console.log(line(name, counts[counted] ?? 0, performance.now() - began, floorRate))
    }
    const sourceUrl = `sqlite:${join(dir, 'source.db')}`
    const copy = ['copy', '--config', oldConfig, '--from', sourceUrl, '--to', `${server.url}/2`]
    await timed('open-bridge copy SQLite → Redis', 'written', copy)
    await timed('open-bridge copy again (all kept)', 'kept', copy)
    await timed('open-bridge rekey SQLite (old → new key)', 'resealed', [
      'rekey',
      '--config',
      rotated,
      '--store',
      sourceUrl,
    ])
    await timed('open-bridge rekey Redis (old → new key)', 'resealed', [
      'rekey',
      '--config',
      rotated,
      '--store',
      `${server.url}/2`,
    ])
  } finally {
    await Promise.allSettled(stores.map((store) => store.close()))
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
    delete process.env.OB_BENCH_OLD
    delete process.env.OB_BENCH_NEW
  }
}
