import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { StoreLock } from '@open-bridge/core'
import {
  AUDIENCE_PATTERN,
  canonicalTextV2,
  MIN_SECRET_LENGTH,
  NONCE_PATTERN,
  SIGNATURE_HEADERS,
  SIGNATURE_PATTERN,
  SIGNATURE_WINDOW_SECONDS,
  TIMESTAMP_PATTERN,
  canonicalText,
  type SignRequestInput,
  type SignatureHeaders,
} from '@open-bridge/remote'
import { HmacSha256Key } from './hmac-key.js'
import { NonceTable } from './nonce-table.js'

// The signing rule (headers, canonical string, window) lives in @open-bridge/remote, shared with clients;
// this module verifies the MAC of the same `canonicalText` / `canonicalTextV2` (the HMAC computed by `HmacSha256Key`).
export { MIN_SECRET_LENGTH, type SignRequestInput, type SignatureHeaders }

/** Why a request was refused. Logged (never the signature itself); the client sees a coarser message. */
export type SignatureFailure =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'mismatch'
  | 'replayed'
  | 'cache-full'
  | 'v1-refused'

/** The lock name a nonce is claimed under in a shared tier: `lock.acquire` of it is Redis's `SET NX PX`. */
export const NONCE_LOCK_PREFIX = 'ob-signed-nonce:'

/** Where nonces are claimed across processes: the lock of the first shared tier (Redis, SQLite). */
export interface SharedNonces {
  lock: StoreLock
  /** The tier's name, for logs. */
  name: string
  /** Called when the tier cannot answer: the nonce then counts as this process's only. */
  onError?(error: unknown): void
}

export interface VerifierOptions {
  /** Accept requests signed with rule v1 (no audience). Default `false`. */
  acceptV1?: boolean
  /** The audiences v2 signatures may be for. Absent → the request's own `Host` header. */
  audiences?: readonly string[]
  /** Claim each nonce in a shared tier too (fleet-wide replay protection). Absent → this process only. */
  shared?: SharedNonces
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
  readonly #key: HmacSha256Key
  readonly #windowMs: number
  readonly #nonces: NonceTable
  readonly #now: () => number
  readonly #given = Buffer.alloc(32)
  readonly #acceptV1: boolean
  readonly #audiences: readonly string[] | undefined
  readonly #shared: SharedNonces | undefined
  /** The token this process claims nonces with (never released: a claim lasts until the window is over). */
  readonly #token = randomBytes(12).toString('base64url')

  constructor(secret: string, options: VerifierOptions = {}) {
    this.#key = new HmacSha256Key(secret)
    this.#windowMs = (options.windowSeconds ?? SIGNATURE_WINDOW_SECONDS) * 1000
    this.#nonces = new NonceTable(options.maxNonces ?? 1_000_000)
    this.#now = options.now ?? Date.now
    this.#acceptV1 = options.acceptV1 ?? false
    this.#audiences = options.audiences
    this.#shared = options.shared
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
    const version = headers[SIGNATURE_HEADERS.version]
    if (version === undefined) {
      if (!this.#acceptV1) return 'v1-refused'
    } else if (version !== '2') return 'malformed'
    if (Math.abs(this.#now() - Number(timestamp) * 1000) > this.#windowMs) return 'expired'
    return undefined
  }

  /**
   * The full check; on success the nonce is spent (also in the shared tier, when there is one: then the answer
   * is a promise). `path` is the request target as received. `prechecked`: `precheck` already passed for these
   * headers (in `onRequest`), so it is not repeated.
   */
  verify(
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: string | Uint8Array | undefined,
    prechecked = false,
  ): SignatureFailure | undefined | Promise<SignatureFailure | undefined> {
    if (!prechecked) {
      const failure = this.precheck(headers)
      if (failure !== undefined) return failure
    }
    const timestamp = headers[SIGNATURE_HEADERS.timestamp] as string
    const nonce = headers[SIGNATURE_HEADERS.nonce] as string
    // Decoded into a scratch buffer, not a new one per request (precheck made sure it is 64 hex digits).
    this.#given.write(headers[SIGNATURE_HEADERS.signature] as string, 0, 'hex')
    if (!this.#macMatches(headers, timestamp, nonce, method, path, body)) return 'mismatch'
    const now = this.#now()
    if (this.#nonces.has(nonce, now)) return 'replayed'
    // Remembered until the timestamp leaves the window: after that the window check refuses the request anyway.
    const until = Number(timestamp) * 1000 + this.#windowMs + 1000
    if (!this.#nonces.add(nonce, until, now)) return 'cache-full'
    const shared = this.#shared
    if (shared === undefined) return undefined
    // Claimed and never released: the lease expires with the window. In Redis this is SET NX PX.
    return shared.lock.acquire(NONCE_LOCK_PREFIX + nonce, this.#token, until - now).then(
      (claimed) => (claimed ? undefined : 'replayed'),
      (error: unknown) => {
        shared.onError?.(error)
        return undefined
      },
    )
  }

  #macMatches(
    headers: Record<string, string | string[] | undefined>,
    timestamp: string,
    nonce: string,
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
  ): boolean {
    if (headers[SIGNATURE_HEADERS.version] === undefined) {
      return timingSafeEqual(this.#given, this.#key.mac(canonicalText(timestamp, nonce, method, path), body))
    }
    const host = headers.host
    const audiences = this.#audiences ?? (typeof host === 'string' && AUDIENCE_PATTERN.test(host) ? [host] : [])
    let matched = false
    // Every audience is tried (no early exit), so the time taken does not say which one matched.
    for (const audience of audiences) {
      const expected = this.#key.mac(canonicalTextV2(audience, timestamp, nonce, method, path), body)
      if (timingSafeEqual(this.#given, expected)) matched = true
    }
    return matched
  }
}
