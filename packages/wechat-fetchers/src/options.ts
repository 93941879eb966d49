import { DEFAULT_MAX_BODY_BYTES, isByteLimit, type Platform } from '@open-bridge/core'
import type { Dispatcher } from 'undici'
import { invalidArgument } from './errors.js'
import type { OpenPlatformOptions } from './open-platform/open-platform-runtime.js'
import { resolveRetryPolicy, type ResolvedRetryPolicy, type RetryPolicy } from './retry.js'

/** `stable`: POST /cgi-bin/stable_token (same token while valid). `classic`: GET /cgi-bin/token (each call rotates). */
export type AccessTokenMode = 'stable' | 'classic'
export type WeixinPlatform = Extract<Platform, `weixin-${string}`>

export interface WechatSourceOptions {
  /**
   * Replaces the platform hosts (a fixed-IP egress proxy, or the fake WeChat in tests): one URL for both,
   * or one per host. Defaults: `https://api.weixin.qq.com` and `https://api.q.qq.com`.
   */
  baseUrl?: string | { weixin?: string; qq?: string }
  /** An undici dispatcher to send through (e.g. a `ProxyAgent`). Default: a keep-alive `Agent` the source owns. */
  dispatcher?: Dispatcher
  /** access_token endpoint per WeChat platform. Default `weixin-h5: classic` (as uni-open-bridge), every other `stable`. */
  accessTokenMode?: Partial<Record<WeixinPlatform, AccessTokenMode>>
  /** Retry of transient failures. Default `{ retries: 2, minDelayMs: 200, maxDelayMs: 3000 }`. */
  retry?: RetryPolicy
  /** Timeouts in ms. Defaults: connect 5000, headers 10000, body 10000. */
  timeouts?: { connectMs?: number; headersMs?: number; bodyMs?: number }
  /**
   * Seconds taken off each platform `expires_in` so a credential is replaced before the platform drops it:
   * the smaller of this and a tenth of the life. Default 60.
   */
  expiryMarginSeconds?: number
  /**
   * Most bytes read of one platform reply. Default 1 MiB (1 048 576; a reply is a few KB). A larger reply (by its
   * `Content-Length`, or counted as it arrives) is cut there, its socket closed, and fails with
   * `E_REPLY_TOO_LARGE`, not retried: nothing of it is used or cached.
   */
  maxReplyBytes?: number
  /**
   * The deployment's WeChat Open Platform third-party platforms (components). With it, an account authorised to one
   * of them is read like any app (`getAccessToken({ appid, platform })`) with no secret configured; see the README,
   * "Third-party platforms".
   */
  openPlatform?: OpenPlatformOptions
}

export interface ResolvedOptions {
  hosts: { weixin: string; qq: string }
  dispatcher: Dispatcher | undefined
  accessTokenMode: Record<WeixinPlatform, AccessTokenMode>
  retry: ResolvedRetryPolicy
  timeouts: { connectMs: number; headersMs: number; bodyMs: number }
  expiryMarginSeconds: number
  maxReplyBytes: number
}

const DEFAULT_HOSTS = { weixin: 'https://api.weixin.qq.com', qq: 'https://api.q.qq.com' }
const DEFAULT_MODES: Record<WeixinPlatform, AccessTokenMode> = {
  'weixin-mp': 'stable',
  'weixin-h5': 'classic',
  'weixin-web': 'stable',
  'weixin-app': 'stable',
}

/** Node timers take at most 2^31 - 1 ms; a larger timeout would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export function resolveOptions(options: WechatSourceOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object')
  const hosts = resolveHosts(options.baseUrl)
  const dispatcher = options.dispatcher
  // A dispatcher that is not one would fail on the first call, deep inside undici, with a TypeError.
  if (
    dispatcher !== undefined &&
    (typeof dispatcher !== 'object' || dispatcher === null || typeof dispatcher.dispatch !== 'function')
  ) {
    throw invalidArgument('dispatcher', 'must be an undici Dispatcher (an Agent, a ProxyAgent, …)')
  }
  const accessTokenMode = { ...DEFAULT_MODES }
  for (const [platform, mode] of Object.entries(options.accessTokenMode ?? {})) {
    if (!(platform in DEFAULT_MODES)) throw invalidArgument(`accessTokenMode.${platform}`, 'names no WeChat platform')
    if (mode !== 'stable' && mode !== 'classic')
      throw invalidArgument(`accessTokenMode.${platform}`, "must be 'stable' or 'classic'")
    accessTokenMode[platform as WeixinPlatform] = mode
  }
  const t = options.timeouts ?? {}
  return {
    hosts,
    dispatcher,
    accessTokenMode,
    retry: resolveRetryPolicy(options.retry),
    timeouts: {
      connectMs: positive(t.connectMs ?? 5000, 'timeouts.connectMs'),
      headersMs: positive(t.headersMs ?? 10_000, 'timeouts.headersMs'),
      bodyMs: positive(t.bodyMs ?? 10_000, 'timeouts.bodyMs'),
    },
    expiryMarginSeconds: nonNegative(options.expiryMarginSeconds ?? 60, 'expiryMarginSeconds'),
    maxReplyBytes: byteLimit(options.maxReplyBytes ?? DEFAULT_MAX_BODY_BYTES, 'maxReplyBytes'),
  }
}

/** The life to store for a platform `expires_in`: a margin off, never below one second. */
export function storedLife(expiresIn: number, marginSeconds: number): number {
  return Math.max(1, expiresIn - Math.min(marginSeconds, expiresIn / 10))
}

/**
 * `baseUrl` as hosts. Anything but a string or `{ weixin?, qq? }` is refused — a mistyped value must never fall
 * back to the real platform unnoticed (a test suite or a staging proxy would then reach WeChat).
 */
function resolveHosts(base: unknown): { weixin: string; qq: string } {
  if (base === undefined) return DEFAULT_HOSTS
  if (typeof base === 'string') return { weixin: url(base, 'baseUrl'), qq: url(base, 'baseUrl') }
  // Plain objects only: a URL instance has no own keys and would otherwise read as "both hosts default".
  const proto = typeof base === 'object' && base !== null ? (Object.getPrototypeOf(base) as unknown) : undefined
  if (proto !== Object.prototype && proto !== null)
    throw invalidArgument('baseUrl', 'must be a URL string or { weixin?, qq? }')
  for (const key of Object.keys(base as object)) {
    if (key !== 'weixin' && key !== 'qq')
      throw invalidArgument(`baseUrl.${key}`, "names no host (use 'weixin' or 'qq')")
  }
  const { weixin, qq } = base as { weixin?: unknown; qq?: unknown }
  return {
    weixin: weixin === undefined ? DEFAULT_HOSTS.weixin : url(weixin, 'baseUrl.weixin'),
    qq: qq === undefined ? DEFAULT_HOSTS.qq : url(qq, 'baseUrl.qq'),
  }
}

/** Never quotes the value: a proxy URL may carry credentials. */
function url(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^https?:\/\/[^/]/i.test(value))
    throw invalidArgument(field, 'must be an http(s) URL')
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw invalidArgument(field, 'is not a valid URL')
  }
  if (parsed.search !== '' || parsed.hash !== '')
    throw invalidArgument(field, 'must have no query or fragment (paths are appended to it)')
  return value.replace(/\/+$/, '')
}

function positive(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw invalidArgument(field, `must be a positive number of milliseconds up to ${MAX_TIMER_MS}`)
  }
  return value
}

function byteLimit(value: unknown, field: string): number {
  if (!isByteLimit(value)) throw invalidArgument(field, 'must be an integer number of bytes ≥ 1')
  return value
}

function nonNegative(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw invalidArgument(field, 'must be a number ≥ 0')
  return value
}
