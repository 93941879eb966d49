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

/**
 * Seconds of life left of the record under `storageKey` in the nearest tier holding a live one (+Inf: never
 * expires), or `undefined`. Reads the tiers directly, never through the bridge: a scrape never fetches.
 */
export async function lifeLeft(
  stores: readonly CredentialStore[],
  storageKey: string,
  timeoutMs: number,
): Promise<number | undefined> {
  const now = Date.now()
  for (const store of stores) {
    let record: StoredRecord | undefined
    try {
      record = await getWithTimeout(store, storageKey, timeoutMs)
    } catch {
      continue // a failing tier: the next one may hold it (tier errors are counted by the bridge's own reads)
    }
    if (record === undefined) continue
    const left = record.expiresAt === null ? Infinity : (record.expiresAt - now) / 1000
    if (left > 0) return left
  }
  return undefined
}
