import { Agent, request, type Dispatcher } from 'undici'
import { categoryOf } from './errcode-categories.js'
import { PlatformApiError, WechatError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { redact } from './redact.js'
import { withRetry } from './retry.js'

/** One platform call. `secrets` are the sensitive values in it, masked from any error as literals too. */
export interface PlatformCall {
  host: 'weixin' | 'qq'
  method?: 'GET' | 'POST'
  path: string
  query: Record<string, string>
  /** A JSON body. Never copied into an error: stable_token carries the secret here. */
  body?: Record<string, unknown>
  /** The app the call is for, named in errors. */
  appid: string
  /** A short name for messages, e.g. `stable_token`. */
  endpoint: string
  /** Whether the call is a token endpoint (its 40001 means a wrong secret). */
  tokenEndpoint?: boolean
  secrets: (string | undefined)[]
  /** Ends the call (and its retries) when aborted: the bridge's fetch deadline, or `close()`. */
  signal?: AbortSignal | undefined
}

/** A platform reply with `errcode` absent or 0. */
export type PlatformReply = Record<string, unknown>

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * Sends platform calls over a keep-alive undici pool, turns `errcode` answers into `PlatformApiError`,
 * retries transient failures, and makes sure no URL or message it produces carries a secret.
 */
export class PlatformClient {
  readonly #options: ResolvedOptions
  readonly #dispatcher: Dispatcher
  /** Only a dispatcher we created is ours to close. */
  readonly #owned: Agent | undefined

  constructor(options: ResolvedOptions) {
    this.#options = options
    const { connectMs, headersMs, bodyMs } = options.timeouts
    this.#owned = options.dispatcher
      ? undefined
      : new Agent({
          connect: { timeout: connectMs },
          headersTimeout: headersMs,
          bodyTimeout: bodyMs,
          keepAliveTimeout: 30_000,
        })
    this.#dispatcher = options.dispatcher ?? this.#owned!
  }

  call(call: PlatformCall): Promise<PlatformReply> {
    return withRetry(this.#options.retry, isTransient, () => this.#once(call), call.signal)
  }

  async close(): Promise<void> {
    await this.#owned?.close()
  }

  async #once(call: PlatformCall): Promise<PlatformReply> {
    const query = new URLSearchParams(call.query).toString()
    const url = `${this.#options.hosts[call.host]}${call.path}${query ? `?${query}` : ''}`
    const safeUrl = redact(url, call.secrets)
    const context = { appid: call.appid, url: safeUrl }
    let status: number
    let text: string
    try {
      const response = await request(url, {
        method: call.method ?? 'GET',
        dispatcher: this.#dispatcher,
        headers: call.body ? { 'content-type': 'application/json' } : {},
        body: call.body ? JSON.stringify(call.body) : null,
        headersTimeout: this.#options.timeouts.headersMs,
        bodyTimeout: this.#options.timeouts.bodyMs,
        signal: call.signal,
      })
      status = response.statusCode
      text = await response.body.text()
    } catch (error) {
      // Aborted by the bridge (deadline or close): its reason is the answer, and nothing is retried.
      call.signal?.throwIfAborted()
      const code = (error as { code?: unknown }).code
      const cause = sanitizedCause(error, call.secrets)
      if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
        throw new WechatError('E_TIMEOUT', `${call.endpoint} for appid ${call.appid} timed out (${code})`, {
          ...context,
          cause,
        })
      }
      throw new WechatError('E_HTTP', `${call.endpoint} for appid ${call.appid} failed: ${cause.message}`, {
        ...context,
        cause,
      })
    }
    if (status < 200 || status >= 300) {
      throw new WechatError('E_HTTP', `${call.endpoint} for appid ${call.appid} answered HTTP ${status}`, {
        ...context,
        status,
      })
    }
    let reply: unknown
    try {
      reply = JSON.parse(text)
    } catch {
      reply = undefined
    }
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) {
      throw new WechatError(
        'E_HTTP',
        `${call.endpoint} for appid ${call.appid} answered something that is not a JSON object`,
        { ...context, status },
      )
    }
    const { errcode, errmsg } = reply as { errcode?: unknown; errmsg?: unknown }
    if (errcode !== undefined && errcode !== 0 && errcode !== '0') {
      const numeric = Number(errcode)
      throw new PlatformApiError({
        errcode: numeric,
        errmsg: redact(typeof errmsg === 'string' ? errmsg : '', call.secrets),
        category: categoryOf(numeric, call.tokenEndpoint),
        endpoint: call.endpoint,
        ...context,
      })
    }
    return reply as PlatformReply
  }
}

/** Transient: the platform's busy codes, timeouts, network errors (no status) and 5xx. */
export function isTransient(error: unknown): boolean {
  if (error instanceof PlatformApiError) return error.category === 'transient'
  if (!(error instanceof WechatError)) return false
  if (error.code === 'E_TIMEOUT') return true
  return error.code === 'E_HTTP' && (error.status === undefined || error.status >= 500)
}

/**
 * A stand-in for a network error that keeps its name, code and (redacted) message but not the error
 * itself: undici errors may carry the request URL, and with it the secret, in fields we do not control.
 */
function sanitizedCause(error: unknown, secrets: (string | undefined)[]): Error {
  const source = error instanceof Error ? error : new Error(String(error))
  const code = (source as { code?: unknown }).code
  const cause = new Error(redact(source.message, secrets))
  cause.name = source.name
  if (typeof code === 'string') Object.assign(cause, { code })
  return cause
}

/** A required string field of a reply, or an `E_HTTP` error naming it. */
export function replyString(
  reply: PlatformReply,
  field: string,
  call: Pick<PlatformCall, 'endpoint' | 'appid'>,
): string {
  const value = reply[field]
  if (typeof value !== 'string' || value.length === 0) {
    throw new WechatError('E_HTTP', `${call.endpoint} for appid ${call.appid} answered without ${field}`, {
      appid: call.appid,
    })
  }
  return value
}

/** A positive number field (`expires_in`), or `fallback`. */
export function replySeconds(reply: PlatformReply, field: string, fallback: number): number {
  const value = Number(reply[field])
  return Number.isFinite(value) && value > 0 ? value : fallback
}
