import type { CredentialStore } from '@open-bridge/core'
import { wecomPermanentCode } from '@open-bridge/wechat-fetchers'

/**
 * The corps that authorised each of `suites`: the permanent codes the tiers hold (their storage keys name the suite
 * and the corp; the codes themselves are never read). Walks every tier that can list its keys (`keys()`), so a
 * permanent code kept only in the durable tier is found too. A tier that fails the walk is passed to `onError`.
 */
export async function authorisedCorps(
  stores: readonly CredentialStore[],
  suites: Iterable<string>,
  onError: (store: CredentialStore, error: unknown) => void = () => {},
): Promise<Map<string, Set<string>>> {
  const bySuite = new Map<string, Set<string>>([...suites].map((suiteId) => [suiteId, new Set<string>()]))
  for (const store of stores) {
    if (store.keys === undefined) continue
    try {
      for await (const storageKey of store.keys()) {
        const key = wecomPermanentCode.parseStorageKey?.(storageKey)
        if (key !== undefined) bySuite.get(key.suiteId)?.add(key.corpId)
      }
    } catch (error) {
      onError(store, error)
    }
  }
  return bySuite
}
