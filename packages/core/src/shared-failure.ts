import type { CredentialValue } from './credentials.js'
import { SharedFailureError } from './errors.js'
import { redactSecrets } from './redact-secrets.js'
import type { StoredRecord } from './store.js'

/**
 * Deployment-wide failure memory: the record a process that failed a fetch under the refresh lock leaves in the
 * lock tier, beside the credential, for the backoff window (its `expiresAt`). The other processes read it before
 * calling the source and answer their callers with the error it describes instead. It holds only what a caller
 * needs to act on — a code, the platform's errcode and category, a masked message — never the raw reply or a cause.
 */
export interface SharedFailureValue {
  code: string
  message: string
  errcode?: number
  category?: string
  /** Failures in a row so far: the next process to fail doubles the backoff from here. */
  streak: number
}

const FAILURE_SUFFIX = ':failure'

/** The storage key of the failure record of `storageKey` (in the lock tier only; never a credential key). */
export function sharedFailureKey(storageKey: string): string {
  return `${storageKey}${FAILURE_SUFFIX}`
}

/** Is this the storage key of a failure record (see `sharedFailureKey`)? */
export function isSharedFailureKey(storageKey: string): boolean {
  return storageKey.endsWith(FAILURE_SUFFIX)
}

/** Longest message kept: enough for a platform's errmsg, not a whole reply body. */
const MAX_MESSAGE = 500
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/
const CATEGORY = /^[a-z][a-z0-9-]{0,31}$/i

/**
 * The record of a failed fetch: the message masked by `redactSecrets` (sources mask their own literals — the
 * secret — before they throw: wechat-fetchers' `redact.ts`) and bounded.
 */
export function encodeSharedFailure(error: unknown, until: number, streak: number): StoredRecord {
  const e = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {}
  const code = typeof e.code === 'string' && CODE.test(e.code) ? e.code : 'E_FETCH_FAILED'
  const raw = typeof e.message === 'string' ? e.message : 'the source failed'
  const value: SharedFailureValue = {
    code,
    message: redactSecrets(raw).slice(0, MAX_MESSAGE),
    streak,
  }
  if (typeof e.errcode === 'number' && Number.isFinite(e.errcode)) value.errcode = e.errcode
  if (typeof e.category === 'string' && CATEGORY.test(e.category)) value.category = e.category
  return { value: value as unknown as CredentialValue, expiresAt: until }
}

/** The error a caller gets from a failure record, or `undefined` for a record that is not one (ignored). */
export function decodeSharedFailure(
  record: StoredRecord,
): { error: SharedFailureError; until: number; streak: number } | undefined {
  const v = record.value as Partial<Record<keyof SharedFailureValue, unknown>>
  const until = record.expiresAt
  if (typeof until !== 'number' || typeof v.code !== 'string' || !CODE.test(v.code)) return undefined
  if (typeof v.message !== 'string') return undefined
  const errcode = typeof v.errcode === 'number' ? v.errcode : undefined
  const category = typeof v.category === 'string' && CATEGORY.test(v.category) ? v.category : undefined
  const streak = typeof v.streak === 'number' && Number.isInteger(v.streak) && v.streak > 0 ? v.streak : 1
  const message = redactSecrets(v.message).slice(0, MAX_MESSAGE)
  const error = new SharedFailureError({ code: v.code, message, errcode, category, retryAt: until })
  return { error, until, streak }
}
