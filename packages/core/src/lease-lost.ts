import type { CredentialKind } from './credentials.js'
import { sameCredential } from './refresh-ahead.js'
import type { StoredRecord } from './store.js'

/**
 * A holder whose fenced write was refused: may it hand its own answer to its own callers rather than the stored
 * record another holder wrote? Only when its answer is certainly at least as new.
 *
 * A record's expiry is computed when the answer arrives (`now + expiresIn`), so a holder paused while its
 * request was in flight stamps an OLD token with a LATE expiry: comparing expiries alone would favour the token
 * the platform has already cut. The platform issued the holder's token no earlier than when the fetch started,
 * so `own.expiresAt - fetchMs` is a lower bound of its expiry stamped at issue time; the stored record's stamp is
 * no earlier than its own issue. Own answer stands only when that lower bound reaches the stored expiry: it was
 * then surely issued no earlier than the stored one (same life per issue, as the platforms give).
 */
export function ownAnswerStands(
  kind: CredentialKind,
  own: StoredRecord,
  fetchMs: number,
  stored: StoredRecord,
): boolean {
  if (sameCredential(kind, own, stored)) return false
  if (stored.expiresAt === null) return false
  if (own.expiresAt === null) return true
  return own.expiresAt - fetchMs >= stored.expiresAt
}
