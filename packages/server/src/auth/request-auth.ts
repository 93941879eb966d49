import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AuthOptions } from '../app-options.js'
import { ServerError } from '../errors.js'
import { IpAllowList } from './ip-allow-list.js'
import { MIN_SECRET_LENGTH, RequestVerifier, type SignatureFailure, type VerifierOptions } from './signature.js'

/** Which checks a path gets. Credential routes (and unknown paths) get every check configured. */
export interface AuthScope {
  /** Paths nobody is checked on (liveness and readiness probes). */
  public: ReadonlySet<string>
  /** Paths checked against the IP allow-list only (scrapers cannot sign: `/metrics`). */
  ipOnly: ReadonlySet<string>
}

const CLIENT_MESSAGES: Record<SignatureFailure, string> = {
  missing: 'the request must be signed (x-ob-timestamp, x-ob-nonce, x-ob-signature)',
  malformed: 'the signature headers are malformed',
  expired: 'x-ob-timestamp is outside the allowed window; check the client clock',
  mismatch: 'the request signature does not match',
  replayed: 'x-ob-nonce was already used',
  'cache-full': 'too many signed requests in the window; retry shortly',
}

/**
 * The request checks of `AuthOptions`, validated at build time: an `IpAllowList` (throws `E_INVALID_CONFIG`
 * naming a bad entry) and a `RequestVerifier` (the secret must have ≥ 16 characters).
 */
export class RequestAuth {
  readonly allowList: IpAllowList | undefined
  readonly verifier: RequestVerifier | undefined
  #scope: AuthScope = { public: new Set(), ipOnly: new Set() }

  constructor(auth: AuthOptions, verifierOptions: VerifierOptions = {}) {
    if (typeof auth !== 'object' || auth === null) {
      throw new ServerError('E_INVALID_CONFIG', 'auth must be an object (use {} for no checks on loopback)', {
        field: 'auth',
      })
    }
    const { ipAllowList, signingSecret } = auth
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
      this.verifier = new RequestVerifier(signingSecret, verifierOptions)
    }
  }

  /**
   * Prepares the app for the checks and sets which paths get which. `check` runs in `onRequest`, before the
   * body is read: the IP, then the signature headers (format, window) — and for a request without a body, the
   * whole signature. With a body, the HMAC and the nonce are checked where it is parsed (`verifyBody`), before
   * any JSON is parsed.
   */
  install(app: FastifyInstance, scope: AuthScope): void {
    if (this.allowList !== undefined || this.verifier !== undefined) app.decorateRequest('obSigned', false)
    this.#scope = scope
  }

  /** Whether `check` has anything to do. */
  get active(): boolean {
    return this.allowList !== undefined || this.verifier !== undefined
  }

  /** The `onRequest` check (app.ts calls it from its one `onRequest` hook): the error to answer, or nothing. */
  check(request: FastifyRequest): ServerError | undefined {
    const { allowList, verifier } = this
    const scope = this.#scope
    const path = pathOf(request.url)
    if (scope.public.has(path)) {
      request.obSigned = true
      return undefined
    }
    if (allowList !== undefined && !allowList.allows(request.ip)) {
      request.log.warn({ ip: request.ip }, 'refused: client IP not in the allow-list')
      return new ServerError('E_FORBIDDEN', 'this client is not allowed', { statusCode: 403 })
    }
    if (verifier === undefined || scope.ipOnly.has(path)) {
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

  /** Called by the body parser with the raw bytes: throws the 401 to answer, or marks the request signed. */
  verifyBody(request: FastifyRequest, body: Buffer): void {
    if (this.verifier === undefined || request.obSigned) return
    // onRequest ran precheck on these headers (every path that parses a body passes there first).
    const failure = this.verifier.verify(request.method, request.url, request.headers, body, true)
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
