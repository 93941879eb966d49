import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto'
import { invalidArgument } from './errors.js'

/**
 * The request-signing rule of open-bridge, in one place: `@open-bridge/server` verifies with `canonicalMac`,
 * clients sign with `signRequest`. Here rather than in the server so a client does not install fastify.
 */

/** The request headers that carry a signature. Lower case, as Node reports them. */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-ob-timestamp',
  nonce: 'x-ob-nonce',
  signature: 'x-ob-signature',
  /** `2` for the rule that binds the audience; absent on a v1 signature. */
  version: 'x-ob-signature-version',
} as const

/** The signing rule `signRequest` follows unless told otherwise: v2, which binds the request to its target. */
export const SIGNATURE_VERSION = 2

/** An audience: the target's `host[:port]` or a configured name; printable ASCII without spaces, ≤ 255 characters. */
export const AUDIENCE_PATTERN = /^[\x21-\x7e]{1,255}$/

/** How far a request's timestamp may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300

/** The shortest signing secret a server accepts. */
export const MIN_SECRET_LENGTH = 16

/** A nonce: 8–128 characters of `A-Z a-z 0-9 _ -`. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{8,128}$/
/** A timestamp: decimal Unix seconds. */
export const TIMESTAMP_PATTERN = /^\d{1,12}$/
/** A signature: 64 hex digits (HMAC-SHA256). */
export const SIGNATURE_PATTERN = /^[0-9a-fA-F]{64}$/

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
  /**
   * v2: whom the request is for — the `Host` it is sent to (`host[:port]` as in the URL: `bridge.internal:8787`),
   * or the name the centre is configured to answer to (`server.auth.audience`). Required unless `version: 1`.
   */
  audience?: string
  /** The signing rule: `2` (default; binds `audience`) or `1` (the older rule, accepted only where a centre allows it). */
  version?: 1 | 2
}

export type SignatureHeaders = {
  'x-ob-timestamp': string
  'x-ob-nonce': string
  'x-ob-signature': string
  /** `'2'`; absent on a v1 signature. */
  'x-ob-signature-version'?: string
}

/**
 * Signs one request for a server with `auth.signingSecret`: returns the headers to send with it.
 * Throws `E_INVALID_ARGUMENT` (a `RemoteError`, `field` names the input) for malformed input.
 *
 * The signature (rule v2, the default) is the lowercase hex HMAC-SHA256, keyed with the secret, of
 *
 *     "OB2" "\n" <audience> "\n" <timestamp> "\n" <nonce> "\n" <METHOD> "\n" <path> "\n" <body>
 *
 * — the audience in lower case (the `Host` the request goes to, or a configured name), the decimal Unix
 * seconds, the nonce, the upper-case method, the request target as sent (path and query), and the raw body
 * bytes (nothing for no body); sent with `x-ob-signature-version: 2`. Rule v1 (`version: 1`) is the same string
 * without its first two lines and without the version header. None of the lines before the body may hold a
 * newline, so the string is unambiguous. Sign the exact bytes you send: re-serialising the JSON after signing
 * breaks the signature.
 */
export function signRequest(input: SignRequestInput): SignatureHeaders {
  if (typeof input !== 'object' || input === null) throw invalidArgument('input', 'must be an object')
  const { secret } = input
  if (typeof secret !== 'string' || secret.length === 0) throw invalidArgument('secret', 'must be a non-empty string')
  return signWithKey(createSecretKey(Buffer.from(secret, 'utf8')), input)
}

/** `signRequest` with the secret already made a key (a client signing many requests makes it once). */
export function signWithKey(key: KeyObject, input: Omit<SignRequestInput, 'secret'>): SignatureHeaders {
  const { method, path, body } = input
  if (typeof method !== 'string' || !/^[A-Za-z]{1,16}$/.test(method))
    throw invalidArgument('method', 'must be an HTTP method name')
  if (typeof path !== 'string' || !path.startsWith('/') || /[\r\n]/.test(path)) {
    throw invalidArgument('path', 'must start with / and hold no newline')
  }
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw invalidArgument('body', 'must be the string or bytes sent (serialise the JSON once, sign and send that)')
  }
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000)
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw invalidArgument('timestamp', 'must be Unix seconds (an integer ≥ 0)')
  const nonce = input.nonce ?? randomBytes(16).toString('base64url')
  if (typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce))
    throw invalidArgument('nonce', 'must be 8–128 characters of A-Z a-z 0-9 _ -')
  const version = input.version ?? SIGNATURE_VERSION
  if (version !== 1 && version !== 2) throw invalidArgument('version', 'must be 1 or 2')
  if (version === 1) {
    return {
      [SIGNATURE_HEADERS.timestamp]: String(timestamp),
      [SIGNATURE_HEADERS.nonce]: nonce,
      [SIGNATURE_HEADERS.signature]: canonicalMac(key, String(timestamp), nonce, method, path, body).toString('hex'),
    }
  }
  const { audience } = input
  if (typeof audience !== 'string' || !AUDIENCE_PATTERN.test(audience)) {
    throw invalidArgument(
      'audience',
      "must be the target's host[:port] (as in its URL) or the centre's configured audience: printable, no spaces",
    )
  }
  const signature = canonicalMacV2(key, audience, String(timestamp), nonce, method, path, body).toString('hex')
  return {
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signature,
    [SIGNATURE_HEADERS.version]: '2',
  }
}

/** Rule v2's HMAC-SHA256 (see `signRequest`): what a signer sends and a verifier recomputes. */
export function canonicalMacV2(
  key: KeyObject,
  audience: string,
  timestamp: string,
  nonce: string,
  method: string,
  path: string,
  body: string | Uint8Array | undefined,
): Buffer {
  const mac = createHmac('sha256', key).update(canonicalTextV2(audience, timestamp, nonce, method, path))
  if (body !== undefined) mac.update(body)
  return mac.digest()
}

/**
 * Rule v2's signed string up to the body (see `signRequest`): the MAC covers this text's UTF-8 bytes, then the
 * body's. For a verifier that computes the HMAC its own way (the server's, with its key's pads prepared once).
 */
export function canonicalTextV2(
  audience: string,
  timestamp: string,
  nonce: string,
  method: string,
  path: string,
): string {
  return `OB2\n${audience.toLowerCase()}\n${timestamp}\n${nonce}\n${method.toUpperCase()}\n${path}\n`
}

/** Rule v1's HMAC-SHA256 of the canonical string (see `signRequest`): what a signer sends and a verifier recomputes. */
export function canonicalMac(
  key: KeyObject,
  timestamp: string,
  nonce: string,
  method: string,
  path: string,
  body: string | Uint8Array | undefined,
): Buffer {
  const mac = createHmac('sha256', key).update(canonicalText(timestamp, nonce, method, path))
  if (body !== undefined) mac.update(body)
  return mac.digest()
}

/** Rule v1's signed string up to the body (see `signRequest` and `canonicalTextV2`). */
export function canonicalText(timestamp: string, nonce: string, method: string, path: string): string {
  return `${timestamp}\n${nonce}\n${method.toUpperCase()}\n${path}\n`
}
