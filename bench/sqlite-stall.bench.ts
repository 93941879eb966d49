/**
 * The longest event-loop stall while a write waits on ANOTHER process's write lock (`BEGIN IMMEDIATE` held
 * for 2 s by a real child process), measured with a 1 ms interval probe. Two candidates in the same run:
 *
 * - baseline: what sqliteStore did before (better-sqlite3 with `timeout: busyTimeout`, so SQLite's blocking
 *   busy handler waits inside the synchronous call);
 * - sqliteStore: a 20 ms blocking wait per attempt, retried asynchronously up to `busyTimeout`.
 *
 * Figures: the stall (ms) and the write's own latency (ms), each the median of 3 runs, and the stall as a ratio
 * of the baseline's.
 */
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { holdWriteLock, stallProbe } from '../packages/adapter-sqlite/test/fixtures/contention.js'

const HOLD_MS = 2_000
const BUSY_TIMEOUT = 5_000
const RUNS = 3

interface Measure {
  stallMs: number
  writeMs: number
}

async function measure(path: string, write: () => Promise<void> | void): Promise<Measure> {
  const holder = await holdWriteLock(path, HOLD_MS)
  try {
    const probe = stallProbe()
    const started = performance.now()
    await write()
    const writeMs = performance.now() - started
    // Let the probe tick once more after a blocking write, so the stall it caused is seen.
    await new Promise((resolve) => setTimeout(resolve, 5))
    return { stallMs: probe.stop().longestStallMs, writeMs }
  } finally {
    await holder.kill()
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'open-bridge-bench-stall-'))
  try {
    const value = JSON.stringify({ access_token: 'A'.repeat(150) })
    const results: Record<string, Measure[]> = { baseline: [], sqliteStore: [] }
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so a busy moment of the machine hits both alike.
      const basePath = join(dir, `baseline-${i}.db`)
      const legacy = new Database(basePath, { timeout: BUSY_TIMEOUT })
      legacy.pragma('journal_mode = WAL')
      legacy.exec(
        'CREATE TABLE IF NOT EXISTS credentials (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID',
      )
      const upsert = legacy.prepare(
        'INSERT INTO credentials (key, value, expires_at) VALUES (?, ?, NULL) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      results.baseline!.push(await measure(basePath, () => void upsert.run('k', value)))
      legacy.close()

      const storePath = join(dir, `store-${i}.db`)
      const store = sqliteStore({ path: storePath, busyTimeout: BUSY_TIMEOUT })
      results.sqliteStore!.push(
        await measure(storePath, () => store.set('k', { value: { access_token: 'A'.repeat(150) }, expiresAt: null })),
      )
      await store.close()
    }
    const baseStall = median(results.baseline!.map((r) => r.stallMs))
    console.log(
      `\nsqlite: longest event-loop stall while another process holds the write lock for ${HOLD_MS} ms (busyTimeout ${BUSY_TIMEOUT}, median of ${RUNS})`,
    )
    console.log(
      'candidate'.padEnd(46),
      'stall ms'.padStart(10),
      'write ms'.padStart(10),
      'stall vs baseline'.padStart(19),
    )
    for (const [name, list] of Object.entries(results)) {
      const stall = median(list.map((r) => r.stallMs))
      const label =
        name === 'baseline' ? 'baseline: timeout = busyTimeout (before)' : 'sqliteStore: 20 ms blocking + async retry'
      console.log(
        label.padEnd(46),
        stall.toFixed(1).padStart(10),
        median(list.map((r) => r.writeMs))
          .toFixed(1)
          .padStart(10),
        `${(stall / baseStall).toFixed(3)}×`.padStart(19),
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
