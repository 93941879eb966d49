import type { CredentialBridge, CredentialKeys, CredentialKind, ResolvedKey, SourceContext } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'

/**
 * Validates a helper's key exactly as the bridge's `get` does (same `BridgeError`s, so `dcloudAppid` keys
 * work) and returns it resolved, with the configured app (its secret) in `ctx`.
 */
export function resolveKey<K extends CredentialKind>(
  bridge: CredentialBridge,
  kind: K,
  key: CredentialKeys[K],
): { key: ResolvedKey<K>; ctx: SourceContext } {
  if (typeof (bridge as Partial<CredentialBridge> | null)?.resolve !== 'function')
    throw invalidArgument('bridge', 'must be a bridge made by createBridge()')
  return bridge.resolve(kind, key)
}
