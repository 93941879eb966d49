import { loadConfig, type LoadConfigOptions } from '../config/load-config.js'
import { openConfiguredBridge } from '../configured-bridge.js'
import type { RouteKind } from '@open-bridge/remote'
import type { CliKey } from './credential-key.js'
import type { CredentialTarget, HeldCredential } from './target.js'

/**
 * A bridge over the config's tiers with the configured WeChat / QQ source — what `serve` builds, without HTTP or
 * scheduler. A `get` that misses everywhere fetches through the source (one fetch for the deployment, under the
 * shared tier's lock), exactly as the service would.
 */
export async function openLocalTarget(options: LoadConfigOptions): Promise<CredentialTarget> {
  const config = await loadConfig(options)
  const { bridge, stores } = await openConfiguredBridge(config)
  const expiryOf = async (kind: RouteKind, key: CliKey, value: object): Promise<number | null | undefined> => {
    // The bridge answers the value only; its record (with the expiry) is in the nearest tier that holds it.
    const storageKey = bridge.resolve(kind, key as never).key.storageKey
    for (const store of stores) {
      try {
        const record = await store.get(storageKey)
        if (record && JSON.stringify(record.value) === JSON.stringify(value)) return record.expiresAt
      } catch {
        // A failing tier was reported by the bridge already; the next one may hold the record.
      }
    }
    return undefined
  }
  const held = async (kind: RouteKind, key: CliKey, value: object | null): Promise<HeldCredential | null> =>
    value === null ? null : { value: value as Record<string, unknown>, expiresAt: await expiryOf(kind, key, value) }
  return {
    mode: 'config',
    async get(kind, key) {
      return held(kind, key, await bridge.get(kind, key as never))
    },
    async set(kind, key, value, expiresIn) {
      await bridge.set(kind, key as never, value as never, expiresIn)
    },
    async remove(kind, key) {
      await bridge.remove(kind, key as never)
    },
    async refresh(kind, key, ifValue) {
      return held(kind, key, await bridge.refresh(kind, key as never, ifValue === undefined ? {} : { ifValue }))
    },
    close: () => bridge.close(),
  }
}
