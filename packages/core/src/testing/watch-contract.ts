import { setTimeout as sleep } from 'node:timers/promises'
import { expect, it } from 'vitest'
import type { CredentialStore, StoredRecord } from '../store.js'

/** What the watch groups read when a test runs: the store, a second one on the same backend, unique keys. */
export interface WatchContext {
  store: CredentialStore
  /** Another store on the same backend (as another process would hold it), made by the contract's `create`. */
  other: () => Promise<CredentialStore>
  key: (suffix: string) => string
}

/** Longest a notice may take here: generous (a loaded machine), and never what decides a pass by itself. */
const NOTICE_MS = 10_000

const live = (token: string): StoredRecord => ({ value: { access_token: token }, expiresAt: Date.now() + 60_000 })

/**
 * Writes with `write` every 100 ms until `heard()` (a watch is best effort and starts asynchronously: the first
 * write may come before the subscription), failing after `NOTICE_MS`.
 */
async function writeUntilHeard(write: (n: number) => Promise<unknown>, heard: () => boolean): Promise<void> {
  const deadline = Date.now() + NOTICE_MS
  for (let n = 0; !heard(); n++) {
    if (Date.now() > deadline) throw new Error(`no notice within ${NOTICE_MS} ms of repeated writes`)
    await write(n)
    for (let i = 0; i < 10 && !heard(); i++) await sleep(10)
  }
}

/** Registers the watch groups inside the current `describe` (the store declares `watch: true`). */
export function registerWatchGroups(context: () => WatchContext): void {
  it('a set by another store on the same backend calls the watcher of that key, not of another key', async () => {
    const { store, other, key } = context()
    const writer = await other()
    try {
      let watched = 0
      let unrelated = 0
      const stop = store.watch!(key('watched'), () => watched++)
      const stopOther = store.watch!(key('unrelated'), () => unrelated++)
      await writeUntilHeard(
        (n) => writer.set(key('watched'), live(`t${n}`)),
        () => watched > 0,
      )
      expect(unrelated).toBe(0)
      stop()
      stopOther()
    } finally {
      await writer.close()
    }
  })

  it('a delete, and a compareAndSet that wrote, call it too', async () => {
    const { store, other, key } = context()
    const writer = await other()
    try {
      let calls = 0
      const stop = store.watch!(key('gone'), () => calls++)
      await writeUntilHeard(
        (n) => writer.set(key('gone'), live(`t${n}`)),
        () => calls > 0,
      )
      const before = calls
      await writeUntilHeard(
        async () => {
          await writer.delete(key('gone'))
        },
        () => calls > before,
      )
      if (writer.compareAndSet !== undefined) {
        const seen = calls
        await writeUntilHeard(
          async (n) => {
            const current = await writer.get(key('gone'))
            await writer.compareAndSet!(key('gone'), current, live(`cas${n}`))
          },
          () => calls > seen,
        )
      }
      stop()
    } finally {
      await writer.close()
    }
  })

  it('after the returned stop (called twice), and after close(), the watcher is not called', async () => {
    const { store, other, key } = context()
    const writer = await other()
    try {
      let heard = 0
      let stopped = 0
      const stopHeard = store.watch!(key('kept'), () => heard++)
      const stop = store.watch!(key('stopped'), () => stopped++)
      stop()
      stop()
      await writeUntilHeard(
        async (n) => {
          await writer.set(key('stopped'), live(`s${n}`))
          await writer.set(key('kept'), live(`k${n}`))
        },
        () => heard > 0,
      )
      expect(stopped).toBe(0)
      stopHeard()
      let afterClose = 0
      store.watch!(key('closed'), () => afterClose++)
      await store.close()
      expect(() => store.watch!(key('closed'), () => afterClose++)).not.toThrow()
      await writer.set(key('closed'), live('c'))
      await sleep(300)
      expect(afterClose).toBe(0)
    } finally {
      await writer.close()
    }
  })
}
