import { FakeFault } from './fake-state.js'

/** How many resets (clear_quota and clear_quota/v2 together) an account gets a month, as WeChat documents it. */
export const FAKE_MONTHLY_CLEARS = 10

/** What the fake answers for a path with no limit of its own in `quotas`. */
export const FAKE_DEFAULT_DAILY_LIMIT = 100_000

/**
 * The platform's daily API quota: calls counted per API path, a limit per path (`quotas`, else a large default),
 * reset by clear_quota (v1 or v2) — at most 10 resets a month per account, then 48006.
 */
export class FakeQuota {
  readonly #used = new Map<string, number>()
  readonly #clears = new Map<string, { month: string; count: number }>()

  constructor(
    readonly limits: ReadonlyMap<string, number>,
    readonly now: () => number,
  ) {}

  /** Counts one call of `path`; true if it is over the daily limit (the call answers 45009). */
  spend(path: string): boolean {
    const used = (this.#used.get(path) ?? 0) + 1
    this.#used.set(path, used)
    const limit = this.limits.get(path)
    return limit !== undefined && used > limit
  }

  /** quota/get's answer for one path. */
  of(path: string): { daily_limit: number; used: number; remain: number } {
    const dailyLimit = this.limits.get(path) ?? FAKE_DEFAULT_DAILY_LIMIT
    const used = Math.min(this.#used.get(path) ?? 0, dailyLimit)
    return { daily_limit: dailyLimit, used, remain: dailyLimit - used }
  }

  /** One reset for the account: every path's count back to 0, or 48006 once this month's 10 are spent. */
  clear(appid: string): void {
    const month = new Date(this.now()).toISOString().slice(0, 7)
    const spent = this.#clears.get(appid)
    const count = spent?.month === month ? spent.count : 0
    if (count >= FAKE_MONTHLY_CLEARS) throw new FakeFault(48006, 'forbid to clear quota because of reaching the limit')
    this.#clears.set(appid, { month, count: count + 1 })
    this.#used.clear()
  }

  /** Resets the account has spent this month. */
  clearsThisMonth(appid: string): number {
    const spent = this.#clears.get(appid)
    return spent?.month === new Date(this.now()).toISOString().slice(0, 7) ? spent.count : 0
  }
}
