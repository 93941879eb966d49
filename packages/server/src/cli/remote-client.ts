import { DEFAULT_MAX_BODY_BYTES, readBoundedText, redactUrl } from '@open-bridge/core'
import { signRequest } from '@open-bridge/remote'
import { ServerError } from '../errors.js'

export interface RemoteOptions {
  /** The central service's base URL, e.g. `http://bridge.internal:8787`. */
  url: string
  /** The shared signing secret (`--secret` / `OPEN_BRIDGE_SECRET`); requests go unsigned without one. */
  secret?: string | undefined
  /** Per request, ms. */
  timeoutMs: number
}

/** What the service answered: status, headers, parsed JSON body (undefined for an empty one), and how long it took. */
export interface RemoteAnswer {
  status: number
  headers: Headers
  body: unknown
  latencyMs: number
  /** Local clock (ms) halfway between sending and the answer: what the server's `Date` header is compared with. */
  midpoint: number
}

/** An error answer of the service (`{ errCode, errMsg }`), kept with its code: the exit code is chosen from it. */
export class RemoteErrorAnswer extends Error {
  override name = 'RemoteErrorAnswer'
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly platformErrcode?: number,
    readonly category?: string,
  ) {
    super(message)
  }
}

/**
 * A small signed-HTTP client for the service's routes. Not `remoteBridge()`: that is a read-through source, and the
 * CLI also sets and removes. Signs the exact bytes sent; the secret, the signature and the URL's password never
 * appear in an error.
 */
export class RemoteClient {
  readonly #base: URL
  readonly #secret: string | undefined
  readonly #timeoutMs: number
  /** The URL as it may be printed: a password in it masked. */
  readonly label: string

  constructor(options: RemoteOptions) {
    let base: URL
    try {
      base = new URL(options.url)
    } catch {
      throw new ServerError('E_USAGE', '--remote must be an http:// or https:// URL')
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new ServerError('E_USAGE', '--remote must be an http:// or https:// URL')
    if (base.search !== '' || base.hash !== '')
      throw new ServerError('E_USAGE', '--remote must not carry a query or fragment')
    this.#base = base
    this.#secret = options.secret
    this.#timeoutMs = options.timeoutMs
    this.label = redactUrl(base.href).replace(/\/$/, '')
  }

  get signs(): boolean {
    return this.#secret !== undefined
  }

  /** `POST /<method>` with a JSON body; resolves the 200 answer, throws `RemoteErrorAnswer` for an error answer. */
  async call(method: string, body: object): Promise<RemoteAnswer> {
    const answer = await this.send('POST', `/${method}`, JSON.stringify(body))
    if (answer.status === 200) return answer
    throw this.errorOf(answer)
  }

  /** One request; resolves whatever the service answered (any status), throws `E_UNREACHABLE` / `E_REMOTE_ANSWER`. */
  async send(method: 'GET' | 'POST', path: string, body?: string, sign = true): Promise<RemoteAnswer> {
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + path, this.#base)
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' }
    if (sign && this.#secret !== undefined) {
      Object.assign(
        headers,
        signRequest({
          secret: this.#secret,
          method,
          path: url.pathname,
          audience: url.host,
          ...(body !== undefined ? { body } : {}),
        }),
      )
    }
    url.username = ''
    url.password = ''
    const started = Date.now()
    const begun = performance.now()
    let response: Response
    let text: string
    try {
      response = await fetch(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'manual',
      })
      // Bounded as remoteBridge's reads are: a huge answer is cut, never held.
      const read = await readBoundedText(
        response.body ?? (async function* () {})(),
        DEFAULT_MAX_BODY_BYTES,
        response.headers.get('content-length') ?? undefined,
      )
      if (!read.ok)
        throw new ServerError(
          'E_REMOTE_ANSWER',
          `${this.label} answered HTTP ${response.status} with more than ${DEFAULT_MAX_BODY_BYTES} bytes: is it open-bridge?`,
        )
      text = read.text
    } catch (error) {
      if (error instanceof ServerError) throw error
      throw this.unreachable(error)
    }
    const latencyMs = Math.round((performance.now() - begun) * 10) / 10
    let parsed: unknown
    if (text !== '') {
      try {
        parsed = JSON.parse(text)
      } catch {
        throw new ServerError(
          'E_REMOTE_ANSWER',
          `${this.label} answered HTTP ${response.status} with a body that is not JSON: is it open-bridge?`,
        )
      }
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed,
      latencyMs,
      midpoint: started + latencyMs / 2,
    }
  }

  errorOf(answer: RemoteAnswer): Error {
    const { errCode, errMsg, platformErrcode, category } = (
      typeof answer.body === 'object' && answer.body !== null ? answer.body : {}
    ) as Record<string, unknown>
    if (typeof errCode !== 'string' || typeof errMsg !== 'string') {
      return new ServerError(
        'E_REMOTE_ANSWER',
        `${this.label} answered HTTP ${answer.status} without an open-bridge error body`,
      )
    }
    return new RemoteErrorAnswer(
      errCode,
      errMsg,
      answer.status,
      typeof platformErrcode === 'number' ? platformErrcode : undefined,
      typeof category === 'string' ? category : undefined,
    )
  }

  unreachable(error: unknown): ServerError {
    const { name, cause } = (typeof error === 'object' && error !== null ? error : {}) as {
      name?: unknown
      cause?: unknown
    }
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new ServerError('E_UNREACHABLE', `${this.label} did not answer within ${this.#timeoutMs} ms`)
    }
    const code =
      (typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined) ?? 'network error'
    return new ServerError('E_UNREACHABLE', `${this.label} could not be reached (${String(code)})`)
  }
}
