/**
 * What the parent (a test or a benchmark) and a bridge worker process say to each other over IPC.
 * Plain JSON only: it crosses a process boundary.
 */

/** One tier of the worker's chain, nearest first. */
export type TierSpec =
  | { type: 'memory'; maxTtl?: number }
  | { type: 'redis'; url: string; socketTimeout?: number; notify?: boolean }
  | { type: 'sqlite'; path: string }

export interface WorkerApp {
  platform: 'weixin-mp' | 'weixin-h5'
  appid: string
  secret: string
}

/** How a worker builds its bridge. `bridge` is passed to `createBridge` as is (refreshAhead, lock, …). */
export interface WorkerConfig {
  stores: TierSpec[]
  apps: WorkerApp[]
  /** The fake WeChat's URL. */
  fakeUrl: string
  source?: {
    accessTokenMode?: Partial<Record<'weixin-mp' | 'weixin-h5', 'stable' | 'classic'>>
    retry?: { retries?: number; minDelayMs?: number; maxDelayMs?: number }
    expiryMarginSeconds?: number
  }
  bridge?: Record<string, unknown>
}

export interface AppKeySpec {
  appid: string
  platform: 'weixin-mp' | 'weixin-h5'
}

/** `concurrent` callers, all starting at `startAt` (epoch ms), each making one call. */
export interface HerdCommand {
  type: 'herd'
  key: AppKeySpec
  callers: number
  startAt: number
  /** `get`: getAccessToken. `refresh`: refreshAccessToken(key, { ifValue }). */
  op: 'get' | 'refresh'
  ifValue?: string
}

/**
 * `callers` loops until `durationMs` has passed: read the access_token, then (with `business`) make a business
 * call with it on the fake, then pause `pauseMs`.
 */
export interface LoopCommand {
  type: 'loop'
  key: AppKeySpec
  callers: number
  startAt: number
  durationMs: number
  business: boolean
  pauseMs: number
  /**
   * What a caller does with a token the platform rejected, as an application would: report it with
   * `refreshAccessToken(key, { ifValue })` (or, on a bridge without it, remove the stored token if it is still
   * the rejected one). Without it the caller just reads again.
   */
  recover?: boolean
  /** Strings no error may contain in its message, stack, JSON or inspected form (e.g. the secret). */
  forbidden?: string[]
}

export type Command = HerdCommand | LoopCommand | { type: 'events' } | { type: 'close' }

/** An error as the caller saw it, reduced to what a test checks. */
export interface ErrorSummary {
  name: string
  code: string | undefined
  errcode: number | undefined
  message: string
}

export interface CallOutcome {
  /** The access_token handed out, if the call succeeded with a value. */
  token?: string | null
  error?: ErrorSummary
  /** From `startAt` (or the caller's own start, if later) to the answer. */
  ms: number
}

export interface HerdResult {
  outcomes: CallOutcome[]
  events: Record<string, number>
}

export interface LoopResult {
  /** Token reads made. */
  reads: number
  /** Business calls the fake accepted. */
  accepted: number
  /** Business calls the fake refused for the token (40001 / 42001). */
  rejected: number
  /** Reads that threw, by `code` (or `errcode`, or name). */
  errors: Record<string, number>
  /** The first few distinct errors. */
  errorSamples: ErrorSummary[]
  /** Errors whose message, stack, JSON or inspected form held a `forbidden` string. */
  leaks: number
  /** When the first and the last read that threw answered (epoch ms), `null` if none threw. */
  firstErrorAt: number | null
  lastErrorAt: number | null
  /** Reads that resolved `null`. */
  nulls: number
  /** Distinct tokens handed out, in the order first seen, with when they were first seen (epoch ms). */
  tokens: { token: string; firstSeenAt: number }[]
  /** Read latencies in ms, sorted. */
  latencies: number[]
  events: Record<string, number>
}

export type Reply =
  | { type: 'ready'; pid: number }
  | { type: 'result'; result: HerdResult | LoopResult | Record<string, number> }
  | { type: 'failed'; message: string }
