import { loadConfig, type LoadConfigOptions } from '../config/load-config.js'
import { openConfiguredBridge } from '../configured-bridge.js'
import type { CredentialTarget, HeldCredential } from './target.js'

/**
 * A bridge over the config's tiers with the configured WeChat / QQ source — what `serve` builds, without HTTP or
 * scheduler, for a built-in kind or a registered one (by its name). A `get` that misses everywhere fetches through the source (one fetch for the deployment, under the
 * shared tier's lock), exactly as the service would.
 */
export async function openLocalTarget(options: LoadConfigOptions): Promise<CredentialTarget> {
  const config = await loadConfig(options)
  const { bridge } = await openConfiguredBridge(config)
  // The bridge's own record (value and expiry), so the tiers' layout — sealed or plain — is the bridge's business.
  const held = (record: { value: object; expiresAt: number | null } | null): HeldCredential | null =>
    record === null ? null : { value: record.value as Record<string, unknown>, expiresAt: record.expiresAt }
  return {
    mode: 'config',
    async get(kind, key) {
      return held(await bridge.getRecord(kind as never, key as never))
    },
    async set(kind, key, value, expiresIn) {
      await bridge.set(kind as never, key as never, value as never, expiresIn)
    },
    async remove(kind, key) {
      await bridge.remove(kind as never, key as never)
    },
    async refresh(kind, key, ifValue) {
      const value = await bridge.refresh(kind as never, key as never, ifValue === undefined ? {} : { ifValue })
      if (value === null) return null
      // The record just written is in the nearest tier: read it back for its expiry.
      const record = await bridge.getRecord(kind as never, key as never)
      return record !== null && JSON.stringify(record.value) === JSON.stringify(value)
        ? held(record)
        : { value: value as Record<string, unknown>, expiresAt: undefined }
    },
    close: () => bridge.close(),
  }
}
