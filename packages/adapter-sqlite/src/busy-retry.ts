import { setTimeout as sleep } from 'node:timers/promises'
import { isBusy, sqliteFailure, SqliteStoreError } from './errors.js'

/** Longest SQLite's own (blocking) busy handler may wait per attempt: the worst event-loop stall a write causes. */
export const BLOCKING_WAIT_MS = 20
const MAX_BACKOFF_MS = 100

/**
 * Runs a synchronous statement; while another connection holds the write lock (SQLITE_BUSY after the short
 * blocking wait), retries it after an asynchronous, growing, jittered pause — other work runs meanwhile —
 * until `deadlineMs` from the first attempt, then fails with `E_SQLITE_BUSY`. Any other failure becomes a
 * `SqliteStoreError` at once. The first attempt costs no promise beyond the caller's.
 */
export async function runWithBusyRetry<T>(
  run: () => T,
  deadlineMs: number,
  operation: string,
  path: string,
  literals: () => readonly string[] = () => [],
): Promise<T> {
  let started: number | undefined
  let pause = 2
  for (;;) {
    try {
      return run()
    } catch (error) {
      if (!isBusy(error)) throw sqliteFailure(operation, path, error, literals())
      started ??= Date.now() - BLOCKING_WAIT_MS
      const left = started + deadlineMs - Date.now()
      if (left <= 0) {
        throw new SqliteStoreError(
          'E_SQLITE_BUSY',
          `sqlite ${operation} gave up: another connection held the write lock for over ${deadlineMs} ms`,
          {
            field: 'busyTimeout',
          },
        )
      }
      await sleep(Math.min(left, pause / 2 + Math.random() * (pause / 2)))
      pause = Math.min(pause * 2, MAX_BACKOFF_MS)
    }
  }
}
