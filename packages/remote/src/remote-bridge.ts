import { createSecretKey, type KeyObject } from 'node:crypto'
import {
  credentialString,
  DEFAULT_MAX_BODY_BYTES,
  isByteLimit,
  readBoundedText,
  registeredKind,
  sanitizeCause,
  type CredentialKind,
  type KindFetchResult,
  type ResolvedKindKey,
  type CredentialSource,
  type FetchResult,
  type ResolvedKey,
  type SourceContext,
} from '@open-bridge/core'
import { Agent, request, type Dispatcher } from 'undici'
import { RemoteError, invalidArgument, isRemoteError } from './errors.js'
import { EXPIRES_IN_HEADER, parseExpiresIn } from './expires-in-header.js'
import { type CredentialRoute, credentialRoute, keyBody, kindRoutePath } from './routes.js'
import { AUDIENCE_PATTERN, MIN_SECRET_LENGTH, signWithKey } from './signing.js'

export interface RemoteBridgeOptions {
  /** The central open-bridge server, e.g. `http://bridge.internal:8080` (a path prefix is kept). */
  url: string
  /** The centre's `server.auth.signingSecret` (≥ 16 characters). Absent: requests go unsigned (a centre on loopback). */
  secret?: string | undefined
  /**
   * Whom requests are signed for (signing rule v2): the centre's configured `server.auth.audience`. Default: the
   * URL's `host[:port]`, which is the `Host` header sent — set this when a proxy in between rewrites `Host`.
   */
  audience?: string | undefined
  /** An undici dispatcher (Agent, Pool) to send through; the caller closes it. Default: a keep-alive Agent of our own. */
  dispatcher?: Dispatcher | undefined
  /** Longest wait, in ms, for the centre to connect, to send its headers and then its body. Default 10 000. */
  timeout?: number | undefined
  /** Life, in seconds, of a value the centre answered without an `x-ob-expires-in` header (an older centre). Default 60. */
  defaultExpiresIn?: number | undefined
  /**
   * Most bytes read of one answer of the centre. Default 1 MiB (1 048 576; an answer is a few KB). A larger answer
   * (by its `Content-Length`, or counted as it arrives) is cut there, its socket closed, and fails with
   * `E_REMOTE_TOO_LARGE`: nothing of it is returned or cached.
   */
  maxBodyBytes?: number | undefined
}

/** What the centre answered: the value object (or `null`), and its life when the centre stated it. */
interface CentreAnswer {
  value: object | null
  expiresIn: number | undefined
}

/** Errors of the connection (a kept-alive socket the centre closed while restarting): worth one more try. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])

/**
 * A `CredentialSource` that reads from a central open-bridge server over HTTP, so a business service runs
 * `createBridge({ stores: [memoryStore({ maxTtl: 60_000 })], source: remoteBridge({ url, secret }) })` and never
 * talks to the platform itself.
 *
 * - a miss (or refresh-ahead) asks `POST /get<Kind>` by platform appid;
 * - a credential the platform rejected (`bridge.refresh…`, `withAccessToken`) is reported to the centre as
 *   `POST /refresh<Kind>` with `ifValue` = the rejected credential: the centre's compare-and-refresh answers a
 *   token someone already replaced, so fifty services reporting one dead token cause one refresh there;
 * - a registered kind (`registerKind`: `wecomCorpToken`, `componentAccessToken`, …) goes the same way through
 *   `POST /kinds/<kind>/get` and `POST /kinds/<kind>/refresh` (`fetchKind`); the centre serves only kinds that can
 *   be fetched again (a durable or pushed kind is refused, `E_KIND_NOT_SERVED`);
 * - requests are signed (see `signRequest`), sent over a keep-alive pool, cut at `timeout` and at the
 *   bridge's `ctx.signal`.
 */
export function remoteBridge(options: RemoteBridgeOptions): CredentialSource {
  return new RemoteBridgeSource(options)
}

class RemoteBridgeSource implements CredentialSource {
  readonly #base: string
  /** The path part of `url` (a centre behind a path prefix): it is part of what is signed. */
  readonly #prefix: string
  readonly #key: KeyObject | undefined
  readonly #audience: string
  readonly #dispatcher: Dispatcher
  /** Only a dispatcher we created is ours to close. */
  readonly #owned: Agent | undefined
  readonly #timeout: number
  readonly #defaultExpiresIn: number
  readonly #maxBodyBytes: number

  constructor(options: RemoteBridgeOptions) {
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object')
    const {
      url,
      secret,
      dispatcher,
      timeout = 10_000,
      defaultExpiresIn = 60,
      audience,
      maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    } = options
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw invalidArgument('url', 'must be an http(s) URL, e.g. http://bridge.internal:8080')
    }
    if (
      (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
      parsed.search !== '' ||
      parsed.username !== ''
    ) {
      throw invalidArgument('url', 'must be an http(s) URL without query or user info')
    }
    if (secret !== undefined && (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH)) {
      throw invalidArgument(
        'secret',
        `must be the centre's signing secret (a string of at least ${MIN_SECRET_LENGTH} characters)`,
      )
    }
    if (
      dispatcher !== undefined &&
      (typeof dispatcher !== 'object' || dispatcher === null || typeof dispatcher.dispatch !== 'function')
    ) {
      throw invalidArgument('dispatcher', 'must be an undici Dispatcher (Agent, Pool, …)')
    }
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw invalidArgument('timeout', 'must be a number of ms > 0')
    }
    if (
      typeof defaultExpiresIn !== 'number' ||
      !Number.isFinite(defaultExpiresIn) ||
      !(defaultExpiresIn > 0 || defaultExpiresIn === -1)
    ) {
      throw invalidArgument('defaultExpiresIn', 'must be a number of seconds > 0, or -1')
    }
    if (audience !== undefined && (typeof audience !== 'string' || !AUDIENCE_PATTERN.test(audience))) {
      throw invalidArgument(
        'audience',
        "must be the centre's configured audience: printable, no spaces, ≤ 255 characters",
      )
    }
    this.#audience = audience ?? parsed.host
    if (!isByteLimit(maxBodyBytes)) throw invalidArgument('maxBodyBytes', 'must be an integer number of bytes ≥ 1')
    this.#maxBodyBytes = maxBodyBytes
    this.#prefix = parsed.pathname.replace(/\/+$/, '')
    this.#base = parsed.origin + this.#prefix
    this.#key = secret === undefined ? undefined : createSecretKey(Buffer.from(secret, 'utf8'))
    this.#timeout = timeout
    this.#defaultExpiresIn = defaultExpiresIn
    this.#owned =
      dispatcher === undefined
        ? new Agent({ connect: { timeout }, headersTimeout: timeout, bodyTimeout: timeout, keepAliveTimeout: 30_000 })
        : undefined
    this.#dispatcher = dispatcher ?? this.#owned!
  }

  async fetch<K extends CredentialKind>(
    kind: K,
    key: ResolvedKey<K>,
    ctx: SourceContext,
  ): Promise<FetchResult<K> | null> {
    const body = keyBody(key)
    let route: CredentialRoute | undefined
    if (ctx.reason === 'rejected') {
      route = credentialRoute(kind, 'refresh')
      const rejected = rejectedOf(kind, ctx)
      if (rejected !== undefined) body.ifValue = rejected
    }
    // A kind the centre cannot refresh (session_key) is read again: the centre may hold a newer one.
    route ??= credentialRoute(kind, 'get')
    if (route === undefined) return null
    const answer = await this.#post(`/${route.method}`, JSON.stringify(body), ctx.signal)
    if (answer.value === null) return null
    return { value: answer.value as FetchResult<K>['value'], expiresIn: answer.expiresIn ?? this.#defaultExpiresIn }
  }

  /**
   * A registered kind: a miss (or refresh-ahead) asks `POST /kinds/<kind>/get`; a credential reported rejected asks
   * `POST /kinds/<kind>/refresh` with `ifValue` = the previous value's credential field (the kind's
   * `credentialField`), so the centre's compare-and-refresh makes one fetch for every reporter.
   */
  async fetchKind(kind: string, key: ResolvedKindKey, ctx: SourceContext): Promise<KindFetchResult | null> {
    const registered = registeredKind(kind)
    if (registered === undefined) return null
    // Only the declared fields travel (the resolved key also carries `kind` and `storageKey`, the client's layout).
    const fields: Record<string, unknown> = {}
    for (const field of registered.fields) {
      const value = (key as Record<string, unknown>)[field]
      if (value !== undefined) fields[field] = value
    }
    const body: Record<string, unknown> = { key: fields }
    let operation: 'get' | 'refresh' = 'get'
    if (ctx.reason === 'rejected') {
      operation = 'refresh'
      const rejected = rejectedOf(kind, ctx)
      if (rejected !== undefined) body.ifValue = rejected
    }
    const answer = await this.#post(kindRoutePath(kind, operation), JSON.stringify(body), ctx.signal)
    if (answer.value === null) return null
    return { value: answer.value, expiresIn: answer.expiresIn ?? this.#defaultExpiresIn }
  }

  async close(): Promise<void> {
    await this.#owned?.close()
  }

  async #post(route: string, body: string, signal: AbortSignal): Promise<CentreAnswer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(route, body, signal)
      } catch (error) {
        const code = (error as { cause?: { code?: unknown } }).cause?.code
        if (attempt === 1 && typeof code === 'string' && STALE_SOCKET_CODES.has(code) && !signal.aborted) continue
        throw error
      }
    }
  }

  async #once(route: string, body: string, signal: AbortSignal): Promise<CentreAnswer> {
    // A fresh nonce per attempt: the centre refuses a nonce it has seen.
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (this.#key !== undefined)
      Object.assign(
        headers,
        signWithKey(this.#key, { method: 'POST', path: this.#prefix + route, body, audience: this.#audience }),
      )
    let status: number
    let text: string
    let expiresHeader: string | string[] | undefined
    try {
      const response = await request(this.#base + route, {
        method: 'POST',
        dispatcher: this.#dispatcher,
        headers,
        body,
        headersTimeout: this.#timeout,
        bodyTimeout: this.#timeout,
        signal,
      })
      status = response.statusCode
      expiresHeader = response.headers[EXPIRES_IN_HEADER]
      const read = await readBoundedText(response.body, this.#maxBodyBytes, response.headers['content-length'])
      if (!read.ok) throw tooLarge(route, status, this.#maxBodyBytes)
      text = read.text
    } catch (error) {
      if (isRemoteError(error, 'E_REMOTE_TOO_LARGE')) throw error
      // Aborted by the bridge (fetchTimeout or close): its reason is the answer.
      signal.throwIfAborted()
      const cause = sanitizeCause(error)
      throw new RemoteError(
        'E_REMOTE_UNAVAILABLE',
        `the central open-bridge did not answer ${route}: ${cause.message}`,
        { route, cause },
      )
    }
    const reply = parseJson(text)
    if (status >= 200 && status < 300) {
      if (reply === null) return { value: null, expiresIn: undefined }
      if (typeof reply !== 'object' || Array.isArray(reply)) {
        const message = `the central open-bridge answered ${route} with something that is not a JSON object`
        throw new RemoteError('E_REMOTE_PROTOCOL', message, { route, status })
      }
      return { value: reply, expiresIn: parseExpiresIn(expiresHeader) }
    }
    throw answeredError(route, status, reply)
  }
}

/**
 * The credential reported rejected: what the caller named (`ctx.ifValue`, set even when this service's tiers held
 * nothing), else the credential field of the record being replaced (the kind's `credentialField`).
 */
function rejectedOf(kind: string, ctx: SourceContext): string | undefined {
  if (typeof ctx.ifValue === 'string' && ctx.ifValue.length > 0) return ctx.ifValue
  return ctx.previous === undefined ? undefined : credentialString(kind, ctx.previous.value)
}

/** An answer over `maxBodyBytes`: cut, never parsed. */
function tooLarge(route: string, status: number, maxBodyBytes: number): RemoteError {
  const message = `the central open-bridge answered ${route} with more than maxBodyBytes (${maxBodyBytes} bytes); the answer was cut and not used`
  return new RemoteError('E_REMOTE_TOO_LARGE', message, { route, status, field: 'maxBodyBytes' })
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The centre's `{ errCode, errMsg }` answer as a `RemoteError`. Its messages are written to be shown (they name fields). */
function answeredError(route: string, status: number, reply: unknown): RemoteError {
  const r = (typeof reply === 'object' && reply !== null ? reply : {}) as Record<string, unknown>
  const errCode = typeof r.errCode === 'string' && /^E_[A-Z0-9_]{1,64}$/.test(r.errCode) ? r.errCode : undefined
  const errMsg = typeof r.errMsg === 'string' ? r.errMsg.slice(0, 300) : undefined
  const said = `${errCode ?? 'no errCode'}${errMsg !== undefined ? `: ${errMsg}` : ''}`
  // A kind the centre never serves over HTTP is a refusal of the request, not of the signature.
  if ((status === 401 || status === 403) && errCode !== 'E_KIND_NOT_SERVED') {
    const message = `the central open-bridge refused ${route} (HTTP ${status} ${said}); check the secret and the clock`
    return new RemoteError('E_REMOTE_UNAUTHORIZED', message, { route, status })
  }
  if (errCode === undefined || errCode === 'E_SHUTTING_DOWN') {
    const code = status >= 500 || errCode === 'E_SHUTTING_DOWN' ? 'E_REMOTE_UNAVAILABLE' : 'E_REMOTE_PROTOCOL'
    return new RemoteError(code, `the central open-bridge answered ${route} with HTTP ${status} (${said})`, {
      route,
      status,
    })
  }
  return new RemoteError(errCode, `the central open-bridge answered ${route} with HTTP ${status} ${said}`, {
    route,
    status,
    platformErrcode: typeof r.platformErrcode === 'number' ? r.platformErrcode : undefined,
    category: typeof r.category === 'string' ? r.category : undefined,
  })
}
