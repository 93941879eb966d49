import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import {
  createKeyring,
  envelopeKeyId,
  isLive,
  kindNameOfStorageKey,
  memoryStore,
  sealedStore,
  type CredentialStore,
  type EncryptionKey,
  type Keyring,
  type StoredRecord,
} from '@open-bridge/core'
import type { Command } from 'commander'
import { loadConfig } from '../config/load-config.js'
import type { ServiceConfig } from '../config/service-config.js'
import { nameStores, parseStoreUrl } from '../config/store-url.js'
import { ServerError } from '../errors.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { Output } from './output.js'
import { NO_PROGRESS, Progress, type ProgressDisplay } from './progress.js'
import { parseRecordLine, recordLine } from './record-lines.js'

interface TransferOptions {
  config?: string
  uniConfigCenter?: string
  json?: boolean
  /** `--progress` / `--no-progress`; by default on when stderr is a terminal and `--json` is not given. */
  progress?: boolean
}

/** Counts a command prints. Every command is safe to run twice: the second run counts everything as `kept`/`current`. */
type Counts = Record<string, number>

/** The config's encryption as the tools use it: the keyring (absent = off) and whether plain records are read. */
interface Sealing {
  keyring: Keyring | undefined
  acceptPlain: boolean
  sealId: string | undefined
}

/** A store opened for a walk: `raw` as the backend holds it (expiry in clear), `view` through the seal when on. */
interface OpenedStore {
  label: string
  raw: CredentialStore
  view: CredentialStore
}

/**
 * `export`, `import`, `copy`, `rekey`: moving, backing up and re-sealing what the stores hold. Each walks the store's
 * keys (Redis SCAN, SQLite, MongoDB, Keyv where it iterates; others answer `E_STORE_CANNOT_LIST`), skips expired records, never overwrites a record
 * that lives longer than the one it would write, and prints counts.
 */
export function registerTransferCommands(program: Command, done: (code: ExitCode) => void): void {
  const common = (command: Command) =>
    command
      .option('-c, --config <file>', 'config file: its stores and its encryption keys, loaded as serve loads it')
      .option('--uni-config-center <dir>', "a uniCloud project's uni-config-center directory")
      .option('--json', 'the counts as one JSON document')
      .option('--progress', 'draw progress on stderr (default: when stderr is a terminal and --json is not given)')
      .option('--no-progress', 'no progress display')

  common(
    program
      .command('export')
      .description('every live record as JSON lines on stdout: key, kind, expiresAt, value (sealed unless --plain)'),
  )
    .option('--from <store URL>', 'the store to read (default: the first tier of the config that can list its keys)')
    .option('--plain', 'write the values in clear (a file anyone can read holds every credential)')
    .action(async (options: TransferOptions & { from?: string; plain?: boolean }) => {
      done(
        await runTransfer(options, (config, sealing) => exportRecords(config, sealing, options, progressOf(options))),
      )
    })

  common(
    program
      .command('import')
      .argument('<file>', 'JSON lines of open-bridge export, or a uniCloud opendb-open-data export; - reads stdin')
      .description('write records into the stores, skipping expired ones and never replacing a longer-lived one'),
  )
    .option('--to <store URL>', 'the store to write (default: every tier of the config but memory)')
    .action(async (file: string, options: TransferOptions & { to?: string }) => {
      done(
        await runTransfer(options, (config, sealing) =>
          importRecords(config, sealing, file, options, progressOf(options)),
        ),
      )
    })

  common(
    program
      .command('copy')
      .description('copy every live record from one store to another (redis://…, sqlite:<path>)')
      .requiredOption('--from <store URL>', 'the store to read')
      .requiredOption('--to <store URL>', 'the store to write'),
  ).action(async (options: TransferOptions & { from: string; to: string }) => {
    done(await runTransfer(options, (config, sealing) => copyRecords(config, sealing, options, progressOf(options))))
  })

  common(
    program
      .command('rekey')
      .description('re-seal every record under the newest key (the first of encryption.keys); resumable'),
  )
    .option('--store <store URL>', 'the store to re-seal (default: every tier of the config but memory)')
    .action(async (options: TransferOptions & { store?: string }) => {
      done(await runTransfer(options, (config, sealing) => rekeyRecords(config, sealing, options, progressOf(options))))
    })
}

async function runTransfer(
  options: TransferOptions,
  work: (config: ServiceConfig, sealing: Sealing) => Promise<{ command: string; counts: Counts; lines: string[] }>,
): Promise<ExitCode> {
  try {
    const config = await loadConfig({ configPath: options.config, uniConfigCenter: options.uniConfigCenter })
    const { command, counts, lines } = await work(config, sealingOf(config))
    // export writes its records on stdout: its counts go to stderr.
    const out =
      command === 'export' ? new Output(options.json === true, process.stderr) : new Output(options.json === true)
    out.result({ command, ...counts }, lines)
    return counts.unreadable !== undefined && counts.unreadable > 0 ? EXIT.failed : EXIT.ok
  } catch (error) {
    return new Output(options.json === true).fail(error)
  }
}

/** Makes the progress display of one walk (label, total when known), or none. */
type ProgressFactory = (label: string, total?: number) => ProgressDisplay

function progressOf(options: TransferOptions): ProgressFactory | undefined {
  const on = options.progress ?? (process.stderr.isTTY === true && options.json !== true)
  return on ? (label, total) => new Progress(process.stderr, label, total) : undefined
}

/** The records of a known kind a store holds (a first pass over the keys, made only when progress is drawn). */
async function countKnown(store: OpenedStore): Promise<number> {
  let n = 0
  for await (const key of keysOf(store)) if (kindNameOfStorageKey(key) !== undefined) n++
  return n
}

async function startProgress(
  factory: ProgressFactory | undefined,
  label: string,
  store?: OpenedStore,
): Promise<ProgressDisplay> {
  if (factory === undefined) return NO_PROGRESS
  return factory(label, store === undefined ? undefined : await countKnown(store))
}

function sealingOf(config: ServiceConfig): Sealing {
  const encryption = config.encryption
  if (encryption === undefined) return { keyring: undefined, acceptPlain: true, sealId: undefined }
  const keys = encryption.keys as readonly EncryptionKey[]
  return { keyring: createKeyring(keys), acceptPlain: encryption.acceptPlain === true, sealId: keys[0]!.id }
}

function openStore(
  url: string,
  field: string,
  sealing: Sealing,
  counts: Counts,
  acceptPlain = sealing.acceptPlain,
): OpenedStore {
  const [spec] = nameStores([parseStoreUrl(url, field, process.cwd())])
  const raw = spec!.create()
  return { label: spec!.label, raw, view: view(raw, sealing, counts, acceptPlain) }
}

function view(
  raw: CredentialStore,
  sealing: Sealing,
  counts: Counts,
  acceptPlain = sealing.acceptPlain,
): CredentialStore {
  if (sealing.keyring === undefined) return raw
  return sealedStore(raw, {
    keyring: sealing.keyring,
    acceptPlain,
    // Every kind is a miss here: the walk counts it and goes on.
    notFetchable: () => false,
    onOpenFailed: () => {
      counts.unreadable = (counts.unreadable ?? 0) + 1
    },
  })
}

/** The config's tiers but memory, opened. */
function configStores(config: ServiceConfig, sealing: Sealing, counts: Counts, acceptPlain?: boolean): OpenedStore[] {
  return config.stores
    .filter((spec) => spec.scheme !== 'memory')
    .map((spec) => {
      const raw = spec.create()
      return { label: spec.label, raw, view: view(raw, sealing, counts, acceptPlain) }
    })
}

async function closeAll(stores: OpenedStore[]): Promise<void> {
  await Promise.allSettled(stores.map((store) => store.raw.close()))
}

function keysOf(store: OpenedStore): AsyncIterable<string> {
  if (store.raw.keys === undefined) {
    throw new ServerError(
      'E_STORE_CANNOT_LIST',
      `${store.label} cannot list its keys (export, copy and rekey walk Redis, SQLite, MongoDB and iterable Keyv stores)`,
      { field: 'store' },
    )
  }
  return store.raw.keys()
}

/** Records a walk works on at once: round trips overlap (a Redis or a MongoDB tier is a network away). */
const WALK_CONCURRENCY = 32

/**
 * Runs `work` for every key of a known kind the store lists, up to `WALK_CONCURRENCY` at a time, one progress step
 * each. The first failure stops the walk (no new key is started) and is thrown once the started ones have settled.
 */
async function eachKnownKey(
  store: OpenedStore,
  progress: ProgressDisplay,
  counts: Counts,
  work: (key: string, kind: string) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>()
  let failed = false
  let failure: unknown
  for await (const key of keysOf(store)) {
    const kind = kindNameOfStorageKey(key)
    if (kind === undefined) continue
    progress.step(counts)
    const task: Promise<void> = work(key, kind).then(
      () => {
        running.delete(task)
      },
      (error: unknown) => {
        running.delete(task)
        if (!failed) [failed, failure] = [true, error]
      },
    )
    running.add(task)
    if (running.size >= WALK_CONCURRENCY) await Promise.race(running)
    if (failed) break
  }
  await Promise.all(running)
  if (failed) throw failure
}

/**
 * Writes `record` unless `target` holds a record that lives at least as long (never = longest). The expiry is read
 * from the raw store: it is in clear there, so no key is needed to compare.
 */
async function writeIfFresher(target: OpenedStore, key: string, record: StoredRecord): Promise<'written' | 'kept'> {
  const existing = await target.raw.get(key)
  if (existing !== undefined) {
    const keeps = existing.expiresAt === null || (record.expiresAt !== null && existing.expiresAt >= record.expiresAt)
    if (keeps) return 'kept'
  }
  await target.view.set(key, record)
  return 'written'
}

const bump = (counts: Counts, name: string) => {
  counts[name] = (counts[name] ?? 0) + 1
}

async function exportRecords(
  config: ServiceConfig,
  sealing: Sealing,
  options: { from?: string; plain?: boolean },
  progressFactory?: ProgressFactory,
): Promise<{ command: string; counts: Counts; lines: string[] }> {
  if (options.plain !== true && sealing.keyring === undefined) {
    throw new ServerError(
      'E_USAGE',
      'export writes sealed records: configure encryption.keys, or pass --plain for a file in clear',
      { field: '--plain' },
    )
  }
  const counts: Counts = { exported: 0 }
  const sources =
    options.from !== undefined
      ? [openStore(options.from, '--from', sealing, counts)]
      : configStores(config, sealing, counts)
  // Seals each value for its own storage key, as a sealed tier would store it (the holder keeps the envelope).
  const holder = memoryStore()
  const sealer = sealing.keyring !== undefined ? sealedStore(holder, { keyring: sealing.keyring }) : undefined
  try {
    const source = sources.find((store) => store.raw.keys !== undefined) ?? sources[0]
    if (source === undefined) throw new ServerError('E_USAGE', 'no store to export: pass --from', { field: '--from' })
    const progress = await startProgress(progressFactory, `export from ${source.label}`, source)
    await eachKnownKey(source, progress, counts, async (key, kind) => {
      const record = await source.view.get(key)
      if (record === undefined) {
        if (counts.unreadable === undefined) bump(counts, 'gone')
        return
      }
      let out = record
      if (options.plain !== true && sealer !== undefined) {
        await sealer.set(key, { value: record.value, expiresAt: null })
        out = { value: (await holder.get(key))!.value, expiresAt: record.expiresAt }
        await holder.delete(key)
      }
      process.stdout.write(`${recordLine(key, kind, out)}\n`)
      bump(counts, 'exported')
    })
    progress.finish(counts)
    return { command: 'export', counts, lines: [`export from ${source.label}: ${describe(counts)}`] }
  } finally {
    await closeAll(sources)
  }
}

async function importRecords(
  config: ServiceConfig,
  sealing: Sealing,
  file: string,
  options: { to?: string },
  progressFactory?: ProgressFactory,
): Promise<{ command: string; counts: Counts; lines: string[] }> {
  const counts: Counts = { written: 0, kept: 0, expired: 0, invalid: 0 }
  const targets =
    options.to !== undefined ? [openStore(options.to, '--to', sealing, counts)] : configStores(config, sealing, counts)
  const invalidLines: number[] = []
  try {
    if (targets.length === 0) throw new ServerError('E_USAGE', 'no store to import into: pass --to', { field: '--to' })
    const input = file === '-' ? process.stdin : createReadStream(file, 'utf8')
    const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
    const progress = await startProgress(progressFactory, `import into ${targets.map((t) => t.label).join(', ')}`)
    let n = 0
    for await (const text of reader) {
      n++
      if (text.trim().length === 0) continue
      progress.step(counts)
      const parsed = parseRecordLine(text)
      if (!parsed.ok) {
        bump(counts, 'invalid')
        if (invalidLines.length < 5) invalidLines.push(n)
        continue
      }
      const { key, value, expiresAt } = parsed.line
      const record: StoredRecord = { value: value as StoredRecord['value'], expiresAt }
      if (!isLive(record)) {
        bump(counts, 'expired')
        continue
      }
      const plain = await opened(key, record, sealing, counts)
      if (plain === undefined) continue
      for (const target of targets) bump(counts, await writeIfFresher(target, key, plain))
    }
    progress.finish(counts)
    const where = targets.map((t) => t.label).join(', ')
    const lines = [`import into ${where}: ${describe(counts)}`]
    if (invalidLines.length > 0)
      lines.push(`  invalid lines (first ${invalidLines.length}): ${invalidLines.join(', ')}`)
    return { command: 'import', counts, lines }
  } finally {
    await closeAll(targets)
  }
}

/** A line's record with its value in clear: an envelope is opened with the config's keys (none: kept sealed as is). */
async function opened(
  key: string,
  record: StoredRecord,
  sealing: Sealing,
  counts: Counts,
): Promise<StoredRecord | undefined> {
  if (envelopeKeyId(record.value) === undefined || sealing.keyring === undefined) return record
  const holder = memoryStore()
  await holder.set(key, record)
  return view(holder, sealing, counts).get(key)
}

async function copyRecords(
  _config: ServiceConfig,
  sealing: Sealing,
  options: { from: string; to: string },
  progressFactory?: ProgressFactory,
): Promise<{ command: string; counts: Counts; lines: string[] }> {
  const counts: Counts = { written: 0, kept: 0 }
  // Without keys the envelopes travel as they are: the storage key (their associated data) does not change.
  const from = openStore(options.from, '--from', sealing, counts)
  const to = openStore(options.to, '--to', sealing, counts)
  try {
    const progress = await startProgress(progressFactory, `copy ${from.label} → ${to.label}`, from)
    await eachKnownKey(from, progress, counts, async (key) => {
      const record = await from.view.get(key)
      if (record === undefined) bump(counts, 'gone')
      else bump(counts, await writeIfFresher(to, key, record))
    })
    progress.finish(counts)
    return { command: 'copy', counts, lines: [`copy ${from.label} → ${to.label}: ${describe(counts)}`] }
  } finally {
    await closeAll([from, to])
  }
}

async function rekeyRecords(
  config: ServiceConfig,
  sealing: Sealing,
  options: { store?: string },
  progressFactory?: ProgressFactory,
): Promise<{ command: string; counts: Counts; lines: string[] }> {
  if (sealing.keyring === undefined) {
    throw new ServerError('E_USAGE', 'rekey needs encryption.keys in the config (the first key seals)', {
      field: 'encryption.keys',
    })
  }
  const counts: Counts = { resealed: 0, current: 0 }
  // Plain records are sealed too: rekey is also how a deployment that turned encryption on gets there.
  const stores =
    options.store !== undefined
      ? [openStore(options.store, '--store', sealing, counts, true)]
      : configStores(config, sealing, counts, true)
  try {
    for (const store of stores) {
      const progress = await startProgress(progressFactory, `rekey ${store.label}`, store)
      await eachKnownKey(store, progress, counts, async (key) => {
        const raw = await store.raw.get(key)
        if (raw === undefined) return
        if (envelopeKeyId(raw.value) === sealing.sealId) {
          bump(counts, 'current')
          return
        }
        const record = await store.view.get(key)
        if (record === undefined) return
        // Compare-and-set where the store has it: a record rewritten meanwhile (by a refresh) is left as it is.
        let wrote = true
        if (store.view.compareAndSet !== undefined) wrote = await store.view.compareAndSet(key, record, record)
        else await store.view.set(key, record)
        bump(counts, wrote ? 'resealed' : 'changed')
      })
      progress.finish(counts)
    }
    const where = stores.map((s) => s.label).join(', ')
    return {
      command: 'rekey',
      counts,
      lines: [`rekey of ${where} under key id ${sealing.sealId}: ${describe(counts)}`],
    }
  } finally {
    await closeAll(stores)
  }
}

function describe(counts: Counts): string {
  return Object.entries(counts)
    .map(([name, n]) => `${n} ${name}`)
    .join(', ')
}
