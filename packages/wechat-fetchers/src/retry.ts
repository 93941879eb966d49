import { setTimeout as sleep } from 'node:timers/promises'
import { invalidArgument, PlatformApiError, WechatError } from './errors.js'

/** How transient failures are retried: bounded exponential backoff with full jitter. */
export interface RetryPolicy {
  /** Retries after the first attempt. Default 2 (so at most 3 calls). */
  retries?: number
  /** Base delay before the first retry, in ms. Default 200. */
  minDelayMs?: number
  /** Cap on any one delay, in ms. Default 3000. */
  maxDelayMs?: number
}

export type ResolvedRetryPolicy = Required<RetryPolicy>

export function resolveRetryPolicy(policy: RetryPolicy | undefined): ResolvedRetryPolicy {
  const resolved = { retries: 2, minDelayMs: 200, maxDelayMs: 3000, ...policy }
  for (const field of ['retries', 'minDelayMs', 'maxDelayMs'] as const) {
    const value = resolved[field]
    // Delays go to a Node timer, which takes at most 2^31 - 1 ms; retries are bounded alike.
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
      throw invalidArgument(`retry.${field}`, 'must be an integer from 0 to 2147483647')
    }
  }
  if (resolved.maxDelayMs < resolved.minDelayMs) throw invalidArgument('retry.maxDelayMs', 'must be ≥ retry.minDelayMs')
  return resolved
}

/** Is `error` worth another attempt? The platform's busy codes, timeouts, network errors (no status) and 5xx. */
export function isTransient(error: unknown): boolean {
  if (error instanceof PlatformApiError) return error.category === 'transient'
  if (!(error instanceof WechatError)) return false
  if (error.code === 'E_TIMEOUT') return true
  return error.code === 'E_HTTP' && (error.status === undefined || error.status >= 500)
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not transient (`isTransient`), or the retries
 * run out (then the last error is thrown). Full jitter (a random delay in [0, min(max, min·2^n)]) keeps many
 * processes that failed together from retrying together. Once `signal` aborts, nothing more is tried:
 * the signal's reason is thrown (also out of a pending delay).
 */
export async function withRetry<T>(
  policy: ResolvedRetryPolicy,
  attempt: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 0; ; n++) {
    signal?.throwIfAborted()
    try {
      return await attempt()
    } catch (error) {
      if (n >= policy.retries || !isTransient(error)) throw error
      signal?.throwIfAborted()
      const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** n)
      await sleep(Math.random() * ceiling, undefined, signal ? { signal } : undefined).catch(() =>
        signal?.throwIfAborted(),
      )
    }
  }
}
