import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { ServerError } from '../errors.js'

/**
 * How long a client may hold a connection, and how many it may hold. A credential service answers small
 * requests in milliseconds: a client that takes seconds to send its headers or body is broken or hostile, and
 * every socket it holds is a descriptor the signed clients cannot use.
 */
export interface ConnectionLimits {
  /** Longest time from a connection's first byte to the last byte of a request (headers and body). Default 10 000 ms. */
  requestTimeoutMs?: number
  /** Longest time to receive a request's headers. Default 5 000 ms; at most `requestTimeoutMs`. */
  headersTimeoutMs?: number
  /** How long a kept-alive connection may sit idle between requests. Default 5 000 ms. */
  keepAliveTimeoutMs?: number
  /** Most open connections; beyond, new ones are closed at once. Default 512. */
  maxConnections?: number
}

export const DEFAULT_LIMITS: Required<ConnectionLimits> = {
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
}

/** Node checks the request and headers timeouts on a timer: at most this often (or a quarter of the bound). */
const MAX_CHECK_INTERVAL_MS = 1_000

/** The limits with defaults filled in; throws `E_INVALID_CONFIG` naming the field for a bad one. */
export function resolveLimits(limits: ConnectionLimits | undefined): Required<ConnectionLimits> {
  if (limits !== undefined && (typeof limits !== 'object' || limits === null)) {
    throw new ServerError('E_INVALID_CONFIG', 'limits must be an object', { field: 'limits' })
  }
  const resolved = { ...DEFAULT_LIMITS }
  for (const name of Object.keys(DEFAULT_LIMITS) as Array<keyof ConnectionLimits>) {
    const value = limits?.[name]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ServerError('E_INVALID_CONFIG', `${name} must be a whole number ≥ 1`, { field: name })
    }
    resolved[name] = value
  }
  if (resolved.headersTimeoutMs > resolved.requestTimeoutMs) {
    throw new ServerError('E_INVALID_CONFIG', 'headersTimeoutMs must not exceed requestTimeoutMs', {
      field: 'headersTimeoutMs',
    })
  }
  return resolved
}

/** The fastify / Node server options that enforce `limits`. */
export function limitServerOptions(limits: Required<ConnectionLimits>): Partial<FastifyServerOptions> {
  const checkEvery = Math.max(50, Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(limits.headersTimeoutMs / 4)))
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // fastify hands `http` to http.createServer: the headers bound and how often Node looks at both bounds.
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: checkEvery },
  } as Partial<FastifyServerOptions>
}

/** The cap on open connections, once the server exists. */
export function applyConnectionCap(app: FastifyInstance, limits: Required<ConnectionLimits>): void {
  app.server.maxConnections = limits.maxConnections
}
