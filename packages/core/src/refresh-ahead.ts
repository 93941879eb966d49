import { credentialString, type CredentialKind } from './credentials.js'
import { isLive } from './expiry.js'
import { registeredKind } from './kind-registry.js'
import type { StoredRecord } from './store.js'

/**
 * When a hit is due for a background refresh, and whether a refresh brought anything new.
 *
 * "No fresher": `stable_token` hands back the same token until its last 5 minutes, so a refresh that started too
 * early returns the stored credential again. Such a result (the same credential string, or an expiry no later than
 * the stored one) is not written, and the key's next background refresh backs off (see `FailureMemory`): a few calls
 * per rotation, never one per hit.
 */
export class RefreshAheadPolicy {
  readonly #ahead: Readonly<Record<CredentialKind, number>>
  /** Is any kind refreshed ahead at all? When not, hits skip the check. */
  readonly enabled: boolean

  constructor(ahead: Readonly<Record<CredentialKind, number>>, hasSource: boolean) {
    this.#ahead = ahead
    this.enabled = hasSource && Object.values(ahead).some((ms) => ms > 0)
  }

  /** Milliseconds left when a record expiring at `expiresAt` is due for a background refresh, else `-1`. */
  due(kind: CredentialKind, expiresAt: number, now: number): number {
    const left = expiresAt - now
    // A registered kind brings its own threshold (the built-in ones are always in `#ahead`).
    const ahead = this.#ahead[kind] ?? registeredKind(kind)?.definition.refreshAhead ?? 0
    return left < ahead ? left : -1
  }

  /** Would `record` be due again at once (its whole life is shorter than the threshold)? */
  dueAtOnce(kind: CredentialKind, record: StoredRecord, now: number = Date.now()): boolean {
    return record.expiresAt !== null && this.due(kind, record.expiresAt, now) >= 0
  }
}

/** Do `a` and `b` hold the same credential? By the kind's credential string, else by expiry. */
export function sameCredential(kind: CredentialKind, a: StoredRecord, b: StoredRecord): boolean {
  const left = credentialString(kind, a.value)
  return left !== undefined ? left === credentialString(kind, b.value) : a.expiresAt === b.expiresAt
}

/** Is `result` fresher than `previous`: another credential that lives longer? Anything beats a dead record. */
export function isFresher(
  kind: CredentialKind,
  result: StoredRecord,
  previous: StoredRecord | undefined,
  now: number = Date.now(),
): boolean {
  if (previous === undefined || !isLive(previous, now)) return true
  if (sameCredential(kind, result, previous)) return false
  if (result.expiresAt === null) return true
  return previous.expiresAt !== null && result.expiresAt > previous.expiresAt
}
