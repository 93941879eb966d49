import { CREDENTIAL_KINDS, type CredentialKind } from './credentials.js'
import { BridgeError, describeType } from './errors.js'
import type { BreakerOptions } from './tier-breaker.js'

/** How the processes of a deployment share one refresh per credential. Every duration is in milliseconds. */
export interface CoordinationOptions {
  /**
   * When a hit has less than this left, the caller gets it at once and one background refresh runs (through the
   * source; a per-call fallback only runs on a miss). A number for every kind, or per kind; `0` turns it off.
   * Default 180,000 for `access_token`, `ticket` and `user_access_token`, 0 for the others.
   */
  refreshAhead?: number | Partial<Record<CredentialKind, number>>
  /**
   * How many background refreshes (refresh-ahead) one bridge runs at once. A hit due while that many run is served
   * and starts none: the next hit starts it (the record is still live). Bounds the burst when thousands of keys
   * come due together (a third-party platform's authorizers fetched in one sweep). Misses are never held back.
   * Default 16.
   */
  refreshAheadConcurrency?: number
  /** Deadline of one source or fallback call: its `ctx.signal` aborts and callers get `E_FETCH_TIMEOUT`. Default 10,000. */
  fetchTimeout?: number
  lock?: {
    /**
     * Life of the refresh lease, extended every ttl/3 while the fetch runs: how long a crashed holder delays the
     * others. Writes under the lease are fenced, so a holder paused past it cannot overwrite a newer record.
     * Default `DEFAULT_LOCK_TTL` (3,000).
     */
    ttl?: number
    /** How long a caller waits for another process's refresh before `E_REFRESH_TIMEOUT`. Default fetchTimeout + 5,000. */
    waitTimeout?: number
    /** Longest pause between two looks at the shared tiers while waiting (the first is 20 ms, doubling). Default 50. */
    pollInterval?: number
  }
  failureBackoff?: {
    /** First backoff after a failed fetch (doubling per failure in a row). Default 1,000. */
    min?: number
    /** Cap of that backoff. Default 30,000. */
    max?: number
    /** Backoff after an error whose `category` is configuration, quota or ip-confirmation. Default 60,000. */
    configuration?: number
    /**
     * Deployment-wide failure memory (with a lock tier): a fetch that fails under the refresh lock leaves a small
     * record of the error (code, errcode, category, masked message) in the lock tier for the backoff window, and
     * every process reads it before calling the source — so a wrong secret costs the platform one call per window
     * for the whole deployment, not one per process, and every process answers its callers with that error at
     * once (a `SharedFailureError`). `false`: each process remembers only its own failures. Default `true`.
     */
    shared?: boolean
  }
  /** Per-tier circuit breaker; `false` turns it off. Default `{ failures: 3, cooldown: 5,000 }`. */
  breaker?: false | { failures?: number; cooldown?: number }
}

export interface ResolvedCoordination {
  refreshAhead: Readonly<Record<CredentialKind, number>>
  refreshAheadConcurrency: number
  fetchTimeout: number
  lock: { ttl: number; waitTimeout: number; pollInterval: number }
  failureBackoff: { min: number; max: number; configuration: number; shared: boolean }
  breaker: BreakerOptions | false
}

/**
 * 3 s: a holder that crashed delays the next caller by at most this much. Short is safe because every write made
 * under the lease is fenced (a holder paused past it cannot overwrite what the next holder wrote); it only has to
 * outlast the gap between two extensions (ttl/3 = 1 s) on a busy event loop. See the README.
 */
export const DEFAULT_LOCK_TTL = 3_000

/**
 * 3 minutes, right for 7,200 s WeChat tokens in both modes (derivation in the README): WeChat fetchers store a
 * token 60 s short of the platform's expiry, so the refresh starts when the platform has ~240 s left — inside the
 * last 300 s in which `stable_token` hands out a new token, and late enough that a classic fetch (which cuts the
 * old token to 300 s) never shortens the old token's life.
 */
export const DEFAULT_REFRESH_AHEAD = 180_000

const DEFAULT_AHEAD_BY_KIND: Readonly<Record<CredentialKind, number>> = {
  access_token: DEFAULT_REFRESH_AHEAD,
  ticket: DEFAULT_REFRESH_AHEAD,
  user_access_token: DEFAULT_REFRESH_AHEAD,
  // None can be fetched again without the user (a new login code or authorisation): nothing to refresh ahead.
  session_key: 0,
  encrypt_key: 0,
  user_refresh_token: 0,
}

export function resolveCoordination(options: CoordinationOptions): ResolvedCoordination {
  const fetchTimeout = duration(options.fetchTimeout, 10_000, 'fetchTimeout')
  const lock = section(options.lock, 'lock')
  const backoff = section(options.failureBackoff, 'failureBackoff')
  const min = duration(backoff.min, 1_000, 'failureBackoff.min')
  const resolved: ResolvedCoordination = {
    refreshAhead: refreshAhead(options.refreshAhead),
    refreshAheadConcurrency: count(options.refreshAheadConcurrency, 16, 'refreshAheadConcurrency'),
    fetchTimeout,
    lock: {
      ttl: duration(lock.ttl, DEFAULT_LOCK_TTL, 'lock.ttl'),
      waitTimeout: duration(lock.waitTimeout, fetchTimeout + 5_000, 'lock.waitTimeout'),
      pollInterval: duration(lock.pollInterval, 50, 'lock.pollInterval'),
    },
    failureBackoff: {
      min,
      max: Math.max(min, duration(backoff.max, 30_000, 'failureBackoff.max')),
      configuration: duration(backoff.configuration, 60_000, 'failureBackoff.configuration'),
      shared: flag(backoff.shared, true, 'failureBackoff.shared'),
    },
    breaker: breaker(options.breaker),
  }
  return resolved
}

function refreshAhead(value: unknown): Record<CredentialKind, number> {
  if (value === undefined) return { ...DEFAULT_AHEAD_BY_KIND }
  if (typeof value === 'number') {
    const ms = nonNegative(value, 'refreshAhead')
    return Object.fromEntries(CREDENTIAL_KINDS.map((kind) => [kind, ms])) as Record<CredentialKind, number>
  }
  const byKind = section(value, 'refreshAhead')
  for (const field of Object.keys(byKind)) {
    if (!(CREDENTIAL_KINDS as readonly string[]).includes(field)) {
      throw new BridgeError(
        'E_INVALID_CONFIG',
        `refreshAhead keys must be credential kinds (${CREDENTIAL_KINDS.join(', ')})`,
        {
          field: 'refreshAhead',
        },
      )
    }
  }
  const result = { ...DEFAULT_AHEAD_BY_KIND }
  for (const kind of CREDENTIAL_KINDS) {
    if (byKind[kind] !== undefined) result[kind] = nonNegative(byKind[kind], `refreshAhead.${kind}`)
  }
  return result
}

function breaker(value: unknown): BreakerOptions | false {
  if (value === false) return false
  const options = section(value, 'breaker')
  const failures = options.failures ?? 3
  if (typeof failures !== 'number' || !Number.isInteger(failures) || failures < 1) {
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `breaker.failures must be a positive integer, got ${describeType(failures)}`,
      {
        field: 'breaker.failures',
      },
    )
  }
  return { failures, cooldown: duration(options.cooldown, 5_000, 'breaker.cooldown') }
}

function section(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BridgeError('E_INVALID_CONFIG', `${field} must be an object, got ${describeType(value)}`, { field })
  }
  return value as Record<string, unknown>
}

/** A positive finite number of milliseconds. */
function duration(value: unknown, fallback: number, field: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `${field} must be a positive number of milliseconds, got ${describeNumber(value)}`,
      { field },
    )
  }
  return value
}

function count(value: unknown, fallback: number, field: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BridgeError('E_INVALID_CONFIG', `${field} must be an integer ≥ 1, got ${describeNumber(value)}`, {
      field,
    })
  }
  return value
}

function flag(value: unknown, fallback: boolean, field: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new BridgeError('E_INVALID_CONFIG', `${field} must be true or false, got ${describeType(value)}`, { field })
  }
  return value
}

function nonNegative(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `${field} must be a number of milliseconds ≥ 0, got ${describeNumber(value)}`,
      { field },
    )
  }
  return value
}

function describeNumber(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeType(value)
}
