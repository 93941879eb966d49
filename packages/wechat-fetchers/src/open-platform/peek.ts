import type { CredentialBridge, CredentialKindDefinition } from '@open-bridge/core'

/**
 * Reads a registered kind from the tiers only: a miss resolves `null` and never reaches the source (no recovery
 * scan, no fetch, no failure remembered). For bookkeeping that must not set recoveries off.
 */
export function peek<Key extends object, Value extends object>(
  bridge: CredentialBridge,
  kind: CredentialKindDefinition<Key, Value>,
  key: Key,
): Promise<Value | null> {
  // The generic `get` takes any registered kind's name; its types name the built-in ones only.
  return bridge.get(kind.name as never, key as never, () => null) as Promise<Value | null>
}
