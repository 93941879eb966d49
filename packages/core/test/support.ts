import { memoryStore, type CredentialStore, type StoredRecord } from '@open-bridge/core'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * A tier that can be switched to fail, as a network store does when its server goes away.
 * It wraps a real memory store; `failing` makes every operation reject.
 */
export function switchableStore(
  name: string,
  options: { sync?: boolean } = {},
): CredentialStore & { failing: boolean; inner: CredentialStore } {
  const inner = memoryStore({ name })
  const guard = <T>(run: () => Promise<T>): Promise<T> =>
    self.failing ? Promise.reject(new Error(`${name} is down (connection refused)`)) : run()
  const self = {
    name,
    inner,
    failing: false,
    get: (key: string) => guard(() => inner.get(key)),
    set: (key: string, record: StoredRecord) => guard(() => inner.set(key, record)),
    delete: (key: string) => guard(() => inner.delete(key)),
    close: () => inner.close(),
    // A synchronous tier (SQLite is one) fails synchronously.
    ...(options.sync
      ? {
          getSync: (key: string) => {
            if (self.failing) throw new Error(`${name} is busy (database is locked)`)
            return inner.getSync!(key)
          },
        }
      : {}),
  }
  return self
}
