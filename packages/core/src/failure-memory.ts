/** Error categories (read structurally from `error.category`) that an operator must fix: retrying soon is futile. */
const LONG_CATEGORIES: ReadonlySet<string> = new Set([
  'configuration',
  'config',
  'quota',
  'ip-confirmation',
  'ip-confirm',
])

interface Entry {
  /** The error callers get until `until`; absent for a "nothing fresher" backoff, which blocks no caller. */
  error: unknown
  failed: boolean
  until: number
  /** Failures (or fruitless refreshes) in a row: the backoff doubles with each. */
  streak: number
}

export interface Remembered {
  retryInMs: number
  category: string | undefined
  /** When the window ends (ms since the epoch). */
  until: number
  /** Failures (or fruitless refreshes) in a row, this one included. */
  streak: number
}

/**
 * Per-key memory of a fetch that failed or brought nothing new, so the platform sees one call per backoff
 * window rather than one per caller. A failure answers callers without a fallback with the same error until its
 * window ends; a fruitless refresh (the same credential again) only holds back the next background refresh.
 */
export class FailureMemory {
  readonly #entries = new Map<string, Entry>()
  readonly #min: number
  readonly #max: number
  readonly #long: number

  constructor(options: { min: number; max: number; configuration: number }) {
    this.#min = options.min
    this.#max = options.max
    this.#long = options.configuration
  }

  /** The error a caller gets at once while the key's failure window is open, or `undefined`. */
  failure(key: string, now: number = Date.now()): { error: unknown } | undefined {
    const entry = this.#entries.get(key)
    return entry?.failed && now < entry.until ? { error: entry.error } : undefined
  }

  /** The open failure window of the key (its end and streak), if any: what the shared failure record carries. */
  window(key: string, now: number = Date.now()): { until: number; streak: number } | undefined {
    const entry = this.#entries.get(key)
    return entry?.failed && now < entry.until ? { until: entry.until, streak: entry.streak } : undefined
  }

  /** Must a background refresh of the key wait (after a failure or a fruitless refresh)? */
  holdsBack(key: string, now: number = Date.now()): boolean {
    const entry = this.#entries.get(key)
    return entry !== undefined && now < entry.until
  }

  rememberFailure(key: string, error: unknown, now: number = Date.now()): Remembered {
    const category = categoryOf(error)
    const streak = (this.#entries.get(key)?.streak ?? 0) + 1
    const retryInMs = category !== undefined && LONG_CATEGORIES.has(category) ? this.#long : this.#backoff(streak)
    this.#entries.set(key, { error, failed: true, until: now + retryInMs, streak })
    return { retryInMs, category, until: now + retryInMs, streak }
  }

  /**
   * Another process's failure, read from the shared tier (deployment-wide failure memory): callers of this
   * process get `error` until `until`, and a failure after that continues the deployment's streak.
   */
  rememberShared(key: string, error: unknown, until: number, streak: number, now: number = Date.now()): Remembered {
    this.#entries.set(key, { error, failed: true, until, streak })
    return { retryInMs: Math.max(0, until - now), category: categoryOf(error), until, streak }
  }

  rememberNoFresher(key: string, now: number = Date.now()): Remembered {
    const streak = (this.#entries.get(key)?.streak ?? 0) + 1
    const retryInMs = this.#backoff(streak)
    this.#entries.set(key, { error: undefined, failed: false, until: now + retryInMs, streak })
    return { retryInMs, category: undefined, until: now + retryInMs, streak }
  }

  /** A fresh credential was stored (fetched, `set` or removed): start over. */
  forget(key: string): void {
    this.#entries.delete(key)
  }

  #backoff(streak: number): number {
    return Math.min(this.#max, this.#min * 2 ** Math.min(streak - 1, 30))
  }
}

/** `error.category` when it is a string (wechat-fetchers' `PlatformApiError` has one); never `instanceof`. */
function categoryOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const category = (error as { category?: unknown }).category
  return typeof category === 'string' ? category : undefined
}
