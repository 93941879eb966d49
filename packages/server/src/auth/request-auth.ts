import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AuthOptions } from '../app-options.js'
import { AUDIENCE_PATTERN } from '@open-bridge/remote'
import { ServerError } from '../errors.js'
import { IpAllowList } from './ip-allow-list.js'
import { MIN_SECRET_LENGTH, RequestVerifier, type SignatureFailure, type VerifierOptions } from './signature.js'

type Verdict<T> = T | Promise<T>

/** Which checks a path gets. Credential routes (and unknown paths) get every check configured. */
export interface AuthScope {
  /** Paths nobody is checked on (liveness and readiness probes). */
  public: ReadonlySet<string>
  /** Paths checked against the IP allow-list and the metrics bearer token, not signed (scrapers cannot sign: `/metrics`). */
  ipOnly: ReadonlySet<string>
  /** Request targets checked by their routes (the Open Platform's, by WeChat's `msg_signature`). */
  publicPaths?: (url: string) => boolean
}

const CLIENT_MESSAGES: Record<SignatureFailure, string> = {
  missing: 'the request must be signed (x-ob-timestamp, x-ob-nonce, x-ob-signature)',
  malformed: 'the signature headers are malformed',
  expired: 'x-ob-timestamp is outside the allowed window; check the client clock',
  mismatch: 'the request signature does not match',
  replayed: 'x-ob-nonce was already used',
  'cache-full': 'too many signed requests in the window; retry shortly',
  'v1-refused':
    'this server accepts signing rule v2 only (x-ob-signature-version: 2, bound to the Host or audience); update the client',
}

/**
 * The request checks of `AuthOptions`, validated at build time: an `IpAllowList` (throws `E_INVALID_CONFIG`
 * naming a bad entry) and a `RequestVerifier` (the secret must have ≥ 16 characters).
 */
export class RequestAuth {
  readonly allowList: IpAllowList | undefined
  readonly verifier: RequestVerifier | undefined
  /** SHA-256 of the bearer token `/metrics` wants (compared in constant time), when there is one. */
  readonly #metricsDigest: Buffer | undefined
  #scope: AuthScope = { public: new Set(), ipOnly: new Set() }

  constructor(auth: AuthOptions, verifierOptions: VerifierOptions = {}) {
    if (typeof auth !== 'object' || auth === null) {
      throw new ServerError('E_INVALID_CONFIG', 'auth must be an object (use {} for no checks on loopback)', {
        field: 'auth',
      })
    }
    const { ipAllowList, signingSecret, audience, acceptV1Signatures, metricsToken } = auth
    if (metricsToken !== undefined && (typeof metricsToken !== 'string' || metricsToken.length < MIN_SECRET_LENGTH)) {
      throw new ServerError(
        'E_INVALID_CONFIG',
        `auth.metricsToken must be a string of at least ${MIN_SECRET_LENGTH} characters`,
        { field: 'auth.metricsToken' },
      )
    }
    const bearer = metricsToken ?? (typeof signingSecret === 'string' ? signingSecret : undefined)
    this.#metricsDigest = bearer === undefined ? undefined : digest(bearer)
    if (ipAllowList !== undefined && !Array.isArray(ipAllowList)) {
      throw new ServerError('E_INVALID_CONFIG', 'auth.ipAllowList must be an array of IPs / CIDR ranges', {
        field: 'auth.ipAllowList',
      })
    }
    this.allowList = ipAllowList !== undefined && ipAllowList.length > 0 ? new IpAllowList(ipAllowList) : undefined
    if (signingSecret !== undefined) {
      if (typeof signingSecret !== 'string' || signingSecret.length < MIN_SECRET_LENGTH) {
        throw new ServerError(
          'E_INVALID_CONFIG',
          `auth.signingSecret must be a string of at least ${MIN_SECRET_LENGTH} characters`,
          {
            field: 'auth.signingSecret',
          },
        )
      }
      const audiences = audience === undefined ? undefined : typeof audience === 'string' ? [audience] : audience
      if (
        audiences !== undefined &&
        (!Array.isArray(audiences) ||
          audiences.length === 0 ||
          !audiences.every((a) => typeof a === 'string' && AUDIENCE_PATTERN.test(a)))
      ) {
        throw new ServerError(
          'E_INVALID_CONFIG',
          'auth.audience must be a name (or a non-empty list of names) of printable characters without spaces',
          { field: 'auth.audience' },
        )
      }
      if (acceptV1Signatures !== undefined && typeof acceptV1Signatures !== 'boolean') {
        throw new ServerError('E_INVALID_CONFIG', 'auth.acceptV1Signatures must be a boolean', {
          field: 'auth.acceptV1Signatures',
        })
      }
      this.verifier = new RequestVerifier(signingSecret, {
        ...verifierOptions,
        ...(audiences !== undefined ? { audiences } : {}),
        acceptV1: acceptV1Signatures ?? false,
      })
    }
  }

  /**
   * Prepares the app for the checks and sets which paths get which. `check` runs in `onRequest`, before the
   * body is read: the IP, then the signature headers (format, window) — and for a request without a body, the
   * whole signature. With a body, the HMAC and the nonce are checked where it is parsed (`verifyBody`), before
   * any JSON is parsed.
   */
  install(app: FastifyInstance, scope: AuthScope): void {
    if (this.active) app.decorateRequest('obSigned', false)
    this.#scope = scope
  }

  /** Whether `check` has anything to do. */
  get active(): boolean {
    return this.allowList !== undefined || this.verifier !== undefined || this.#metricsDigest !== undefined
  }

  /**
   * The `onRequest` check (app.ts calls it from its one `onRequest` hook): the error to answer, or nothing — a
   * promise of it when a bodyless request's nonce is claimed in a shared tier.
   */
  check(request: FastifyRequest): Verdict<ServerError | undefined> {
    const { allowList, verifier } = this
    const scope = this.#scope
    const path = pathOf(request.url)
    if (scope.public.has(path) || scope.publicPaths?.(request.url) === true) {
      request.obSigned = true
      return undefined
    }
    if (allowList !== undefined && !allowList.allows(request.ip)) {
      request.log.warn({ ip: request.ip }, 'refused: client IP not in the allow-list')
      return new ServerError('E_FORBIDDEN', 'this client is not allowed', { statusCode: 403 })
    }
    if (scope.ipOnly.has(path)) {
      if (this.#metricsDigest !== undefined && !bearerMatches(request.headers.authorization, this.#metricsDigest)) {
        request.log.warn('refused: /metrics without the bearer token')
        return new ServerError(
          'E_UNAUTHORIZED',
          'this path needs Authorization: Bearer <metrics token> (auth.metricsToken, or the signing secret)',
          { statusCode: 401 },
        )
      }
      request.obSigned = true
      return undefined
    }
    if (verifier === undefined) {
      request.obSigned = true
      return undefined
    }
    // No body will come (fastify parses none): the signature covers an empty body, and is checked now.
    // Otherwise the cheap checks now, and the HMAC where the body is parsed (`verifyBody`).
    const length = request.headers['content-length']
    const bodyless = request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')
    const failure = bodyless
      ? verifier.verify(request.method, request.url, request.headers, undefined)
      : verifier.precheck(request.headers)
    if (isPromise(failure)) {
      return failure.then((late) => {
        if (late !== undefined) return refusal(request, late)
        request.obSigned = true
        return undefined
      })
    }
    if (failure !== undefined) return refusal(request, failure)
    if (bodyless) request.obSigned = true
    return undefined
  }

  /** Whether routes must see `request.obSigned` before they act (the handlers' own last check). */
  get signs(): boolean {
    return this.verifier !== undefined
  }

  /** The last line of defence, in each credential handler: a request that reached it unsigned is refused. */
  assertSigned(request: FastifyRequest): void {
    if (this.verifier !== undefined && !request.obSigned) throw refusal(request, 'missing')
  }

  /**
   * Called by the body parser with the raw bytes: throws the 401 to answer, or marks the request signed. With a
   * shared nonce tier, a promise that rejects with the 401 instead.
   */
  verifyBody(request: FastifyRequest, body: Buffer): Verdict<void> {
    if (this.verifier === undefined || request.obSigned) return
    // onRequest ran precheck on these headers (every path that parses a body passes there first).
    const failure = this.verifier.verify(request.method, request.url, request.headers, body, true)
    if (isPromise(failure)) {
      return failure.then((late) => {
        if (late !== undefined) throw refusal(request, late)
        request.obSigned = true
      })
    }
    if (failure !== undefined) throw refusal(request, failure)
    request.obSigned = true
  }
}

function refusal(request: FastifyRequest, failure: SignatureFailure): ServerError {
  request.log.warn({ reason: failure }, 'refused: request signature')
  return failure === 'cache-full'
    ? new ServerError('E_REPLAY_CACHE_FULL', CLIENT_MESSAGES[failure], { statusCode: 503 })
    : new ServerError('E_UNAUTHORIZED', CLIENT_MESSAGES[failure], { statusCode: 401 })
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** `Authorization: Bearer <token>` against the token's digest: equal-length buffers, compared in constant time. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  if (typeof header !== 'string' || !/^Bearer /i.test(header)) return false
  return timingSafeEqual(digest(header.slice(7).trim()), expected)
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function'
}

/** The path of a request target, without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request passed the signature check (or needs none). */
    obSigned: boolean
  }
}
