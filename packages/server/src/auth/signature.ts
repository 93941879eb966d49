import { createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import {
  MIN_SECRET_LENGTH,
  NONCE_PATTERN,
  SIGNATURE_HEADERS,
  SIGNATURE_PATTERN,
  SIGNATURE_WINDOW_SECONDS,
  TIMESTAMP_PATTERN,
  canonicalMac,
  type SignRequestInput,
  type SignatureHeaders,
} from '@open-bridge/remote'
import { NonceTable } from './nonce-table.js'

// The signing rule (headers, canonical string, window) lives in @open-bridge/remote, shared with clients;
// this module verifies with the same `canonicalMac`.
export { MIN_SECRET_LENGTH, type SignRequestInput, type SignatureHeaders }

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
    if (!TIMESTAMP_PATTERN.test(timestamp) || !NONCE_PATTERN.test(nonce) || !SIGNATURE_PATTERN.test(signature))
      return 'malformed'
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
    const expected = canonicalMac(this.#key, timestamp, nonce, method, path, body)
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
