import type { CredentialKind } from './credentials.js'
import { registeredKinds, resolveKindKey, type CredentialKindDefinition } from './kind-registry.js'
import { isSharedFailureKey } from './shared-failure.js'

/**
 * The kind a storage key holds, read back from its layout (`uni-id:<platform>:<appid>[:<openid>]:<type>`, see
 * keys.ts), or `undefined` for a key of another layout. For tools that walk a store (export, copy) and for the
 * sealed tier deciding whether a record that did not open may be treated as a miss.
 */
export function kindOfStorageKey(storageKey: string): CredentialKind | undefined {
  const parts = storageKey.split(':')
  if (parts[0] !== 'uni-id' || parts.some((part) => part.length === 0)) return undefined
  const type = parts[parts.length - 1]!
  if (parts.length === 4) {
    if (type === 'access-token') return 'access_token'
    if (type === 'ticket' || type === 'ticket-wx_card') return 'ticket'
    return undefined
  }
  if (parts.length !== 5) return undefined
  if (type === 'user-access-token') return 'user_access_token'
  if (type === 'session-key') return 'session_key'
  if (type === 'user-refresh-token') return 'user_refresh_token'
  if (/^encrypt-key-[1-9][0-9]*$/.test(type)) return 'encrypt_key'
  return undefined
}

/**
 * The definition of the registered kind (`registerKind`) a storage key holds: the first whose `parseStorageKey` reads it back to a key
 * that is valid and builds the very same storage key. `undefined` for a built-in layout, another layout, or a kind
 * registered without `parseStorageKey`.
 */
export function registeredKindOfStorageKey(storageKey: string): CredentialKindDefinition | undefined {
  for (const kind of registeredKinds()) {
    const parse = kind.definition.parseStorageKey
    if (parse === undefined) continue
    try {
      const key = parse(storageKey)
      if (key !== undefined && resolveKindKey(kind, key).storageKey === storageKey) return kind.definition
    } catch {
      // A key that does not check out (or a parser that throws) is simply not this kind's.
    }
  }
  return undefined
}

/**
 * The name of the kind a storage key holds, built in (`access_token`, …) or registered (`kindOfStorageKey`, then
 * `registeredKindOfStorageKey`); `undefined` for a record of no known kind (a lock, a failure record, another
 * application's data): walks of a store leave those alone.
 */
export function kindNameOfStorageKey(storageKey: string): string | undefined {
  return kindOfStorageKey(storageKey) ?? registeredKindOfStorageKey(storageKey)?.name
}

/**
 * Kinds no source of core's can fetch again: a session_key comes only from a user's login (code2Session), a
 * refresh_token only from the user's OAuth consent. A sealed record of these that does not open is an error the
 * caller sees, never a quiet miss. Hook for the kinds registry: when kinds carry a `durable` flag, derive this
 * set from it.
 */
export const NOT_FETCHABLE_KINDS: ReadonlySet<CredentialKind> = new Set(['session_key', 'user_refresh_token'])

/** Is the record under `storageKey` one that cannot be fetched again (or of a layout core does not know)? */
export function isNotFetchable(storageKey: string): boolean {
  // A failure record (deployment-wide failure memory) is a hint for a backoff window: one that does not open
  // (its key rotated away) is simply none, never an error that would fail the tier.
  if (isSharedFailureKey(storageKey)) return false
  const kind = kindOfStorageKey(storageKey)
  if (kind !== undefined) return NOT_FETCHABLE_KINDS.has(kind)
  // A registered kind is re-fetched unless it is durable or pushed; a layout nobody claims is never a quiet miss.
  const registered = registeredKindOfStorageKey(storageKey)
  return registered === undefined || registered.durable === true || registered.pushed === true
}
