import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'
import { ServerError } from '../errors.js'
import { NonceTable } from './nonce-table.js'

/** The request headers that carry a signature. Lower case, as Node reports them. */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-ob-timestamp',
  nonce: 'x-ob-nonce',
  signature: 'x-ob-signature',
} as const

/** How far a request's timestamp may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300

/** The shortest signing secret `buildApp` accepts. */
export const MIN_SECRET_LENGTH = 16

const NONCE = /^[A-Za-z0-9_-]{8,128}$/
const TIMESTAMP = /^\d{1,12}$/
const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/

export interface SignRequestInput {
  /** The shared secret (the server's `auth.signingSecret`). */
  secret: string
  /** `POST`, `GET`, … (case-insensitive; signed upper case). */
  method: string
  /** The request target exactly as sent: path plus query string, e.g. `/getAccessToken`. */
  path: string
  /** The body bytes exactly as sent (the JSON text); absent or `''` for no body. */
  body?: string | Uint8Array
  /** Unix time in seconds. Default: now. */
  timestamp?: number
  /** 8–128 characters of `A-Z a-z 0-9 _ -`, never reused within the window. Default: 16 random bytes, base64url. */
  nonce?: string
}

export type SignatureHeaders = { [H in (typeof SIGNATURE_HEADERS)[keyof typeof SIGNATURE_HEADERS]]: string }

/**
 * Signs one request for a server with `auth.signingSecret`: returns the three headers to send with it.
 *
 * The signature is the lowercase hex HMAC-SHA256, keyed with the secret, of the canonical string
 *
 *     <timestamp> "\n" <nonce> "\n" <METHOD> "\n" <path> "\n" <body>
 *
 * — the decimal Unix seconds, the nonce, the upper-case method, the request target as sent (path and query),
 * and the raw body bytes (nothing for no body). None of the first four may hold a newline, so the string is
 * unambiguous. Sign the exact bytes you send: re-serialising the JSON after signing breaks the signature.
 */
export function signRequest(input: SignRequestInput): SignatureHeaders {
  if (typeof input !== 'object' || input === null) throw invalidArgument('input', 'must be an object')
  const { secret, method, path, body } = input
  if (typeof secret !== 'string' || secret.length === 0) throw invalidArgument('secret', 'must be a non-empty string')
  if (typeof method !== 'string' || !/^[A-Za-z]{1,16}$/.test(method)) throw invalidArgument('method', 'must be an HTTP method name')
  if (typeof path !== 'string' || !path.startsWith('/') || /[\r\n]/.test(path)) {
    throw invalidArgument('path', 'must start with / and hold no newline')
  }
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw invalidArgument('body', 'must be the string or bytes sent (serialise the JSON once, sign and send that)')
  }
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000)
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw invalidArgument('timestamp', 'must be Unix seconds (an integer ≥ 0)')
  const nonce = input.nonce ?? randomBytes(16).toString('base64url')
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) throw invalidArgument('nonce', 'must be 8–128 characters of A-Z a-z 0-9 _ -')
  const signature = hmac(createSecretKey(Buffer.from(secret, 'utf8')), String(timestamp), nonce, method, path, body).toString('hex')
  return { [SIGNATURE_HEADERS.timestamp]: String(timestamp), [SIGNATURE_HEADERS.nonce]: nonce, [SIGNATURE_HEADERS.signature]: signature }
}

function hmac(
  key: KeyObject,
  timestamp: string,
  nonce: string,
  method: string,
  path: string,
  body: string | Uint8Array | undefined,
): Buffer {
  const mac = createHmac('sha256', key).update(`${timestamp}\n${nonce}\n${method.toUpperCase()}\n${path}\n`)
  if (body !== undefined) mac.update(body)
  return mac.digest()
}

function invalidArgument(field: string, message: string): ServerError {
  return new ServerError('E_INVALID_CONFIG', `signRequest: ${field} ${message}`, { field })
}

/** Why a request was refused. Logged (never the signature itself); the client sees a coarser message. */
export type SignatureFailure = 'missing' | 'malformed' | 'expired' | 'mismatch' | 'replayed' | 'cache-full'

export interface VerifierOptions {
  windowSeconds?: number
  /** Most live nonces remembered at once. Default 1 000 000 (a table of at most 32 MiB); beyond, requests get 503. */
  maxNonces?: number
  /** For tests: the clock, in ms. */
  now?: () => number
}

/**
 * Checks signed requests: headers well-formed, timestamp within the window, HMAC equal (constant time),
 * nonce not seen within the window. A nonce is remembered only once its signature checked out, so only
 * holders of the secret can fill the cache.
 */
export class RequestVerifier {
  readonly #key: KeyObject
  readonly #windowMs: number
  readonly #nonces: NonceTable
  readonly #now: () => number
  readonly #given = Buffer.alloc(32)

  constructor(secret: string, options: VerifierOptions = {}) {
    this.#key = createSecretKey(Buffer.from(secret, 'utf8'))
    this.#windowMs = (options.windowSeconds ?? SIGNATURE_WINDOW_SECONDS) * 1000
    this.#nonces = new NonceTable(options.maxNonces ?? 1_000_000)
    this.#now = options.now ?? Date.now
  }

  /** The checks that need no body: presence, format and the time window. Cheap; run before the body is read. */
  precheck(headers: Record<string, string | string[] | undefined>): SignatureFailure | undefined {
    const timestamp = headers[SIGNATURE_HEADERS.timestamp]
    const nonce = headers[SIGNATURE_HEADERS.nonce]
    const signature = headers[SIGNATURE_HEADERS.signature]
    if (timestamp === undefined || nonce === undefined || signature === undefined) return 'missing'
    if (typeof timestamp !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string') return 'malformed'
    if (!TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || !HEX_SIGNATURE.test(signature)) return 'malformed'
    if (Math.abs(this.#now() - Number(timestamp) * 1000) > this.#windowMs) return 'expired'
    return undefined
  }

  /**
   * The full check; on success the nonce is spent. `path` is the request target as received. `prechecked`:
   * `precheck` already passed for these headers (in `onRequest`), so it is not repeated.
   */
  verify(
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: string | Uint8Array | undefined,
    prechecked = false,
  ): SignatureFailure | undefined {
    if (!prechecked) {
      const failure = this.precheck(headers)
      if (failure !== undefined) return failure
    }
    const timestamp = headers[SIGNATURE_HEADERS.timestamp] as string
    const nonce = headers[SIGNATURE_HEADERS.nonce] as string
    const expected = hmac(this.#key, timestamp, nonce, method, path, body)
    // Decoded into a scratch buffer, not a new one per request (precheck made sure it is 64 hex digits).
    this.#given.write(headers[SIGNATURE_HEADERS.signature] as string, 0, 'hex')
    if (!timingSafeEqual(this.#given, expected)) return 'mismatch'
    const now = this.#now()
    if (this.#nonces.has(nonce, now)) return 'replayed'
    // Remembered until the timestamp leaves the window: after that the window check refuses the request anyway.
    if (!this.#nonces.add(nonce, Number(timestamp) * 1000 + this.#windowMs + 1000, now)) return 'cache-full'
    return undefined
  }
}
