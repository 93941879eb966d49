import type { CredentialStore, StoredRecord } from '@open-bridge/core'

/** A key no credential uses: reading it costs a tier one lookup and returns nothing. */
export const PROBE_KEY = 'open-bridge:probe'

/** A tier read that gives up after `timeoutMs` (a partitioned network tier must not stall a scrape or a probe). */
export function getWithTimeout(
  store: CredentialStore,
  key: string,
  timeoutMs: number,
): Promise<StoredRecord | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`tier ${store.name} did not answer within ${timeoutMs} ms`), {
            code: 'E_PROBE_TIMEOUT',
          }),
        ),
      timeoutMs,
    )
  })
  return Promise.race([Promise.resolve().then(() => store.get(key)), timeout]).finally(() => clearTimeout(timer))
}

/** A failure as `/readyz` shows it: a code or an error class name, never a driver's message (it may hold a host or URL). */
export function failureName(error: unknown): string {
  const { code, name } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown
    name?: unknown
  }
  if (typeof code === 'string' || typeof code === 'number') return String(code)
  // A bare `Error` (ioredis refusing a command while disconnected) says nothing: name the situation instead.
  return typeof name === 'string' && name !== 'Error' ? name : 'E_TIER_FAILED'
}
