import type { CredentialBridge } from '@open-bridge/core'
import type { SharedNonces } from './auth/signature.js'
import type { ConnectionLimits } from './http/connection-limits.js'
import type { WecomRoutesOptions } from './wecom/wecom-routes.js'
import type { OpenPlatformHooks } from './open-platform/open-platform-hooks.js'

/**
 * The seam between the HTTP layer (`http/`, `auth/`) and the service around it (`config/`, `scheduler/`,
 * `metrics/`, `serve.ts`). `buildApp(options)` builds the fastify instance from these; `serve` fills them in
 * from the config file.
 */
export interface AppOptions {
  /** The bridge every route calls. The app never closes it: whoever built it does. */
  bridge: CredentialBridge
  auth: AuthOptions
  /** Largest accepted request body in bytes (413 beyond). Default 64 KiB. */
  bodyLimit?: number
  /** Request, headers and keep-alive timeouts and the connection cap (see `ConnectionLimits` for the defaults). */
  limits?: ConnectionLimits
  /**
   * Host names (without port) the `Host` header may carry, against DNS rebinding; `['*']` for any. Absent → no
   * check (`startServer` passes `127.0.0.1`, `localhost`, `[::1]` for a loopback service without auth).
   */
  allowedHosts?: string[]
  /**
   * Where signed nonces are claimed besides this process's table, so a nonce is refused by every replica and
   * after a restart: the lock of a shared tier. `startServer` passes the first tier with a lock.
   */
  sharedNonces?: SharedNonces
  /** fastify's logger: `false`, a level (`'info'`…) or pino options. Secrets are always redacted. */
  logger?: boolean | { level: string } | Record<string, unknown>
  /** `GET /readyz`: each tier's state. Absent → the route answers from the bridge's tiers alone. */
  readiness?: () => Promise<ReadinessReport>
  /** `GET /metrics` and per-request observations. Absent → no `/metrics` route. */
  metrics?: MetricsHooks
  /**
   * Where a value's expiry is read, for the `x-ob-expires-in` header of `get*` / `refresh*` answers (how a
   * `remoteBridge()` client learns the life of what it got). `startServer` reads its tiers, nearest first.
   * Absent → no header (clients then use their `defaultExpiresIn`).
   */
  expiryOf?: ExpiryLookup
  /** WeCom suites' command callback URLs (`/wecom/suites/<suiteId>/callback`), public to the auth above. */
  wecom?: WecomRoutesOptions
  /**
   * WeChat Open Platform third-party platforms: `POST /open-platform/<componentAppid>/events` (the authorisation
   * event URL) and the onboarding routes. Their auth is WeChat's `msg_signature`, not the allow-list, the HMAC or the
   * `Host` check (WeChat's servers are on none of them). Absent → no such routes.
   */
  openPlatform?: OpenPlatformHooks
}

/** A stored record's `expiresAt` (ms since the epoch; `null` = never) by storage key; `undefined` when nothing is stored. */
export type ExpiryLookup = (storageKey: string) => Promise<number | null | undefined>

export interface AuthOptions {
  /** IPs and CIDR ranges (IPv4 and IPv6) allowed to call. Empty or absent → no IP check. */
  ipAllowList?: string[]
  /** Take the client IP from `X-Forwarded-For` (only behind a proxy you run). Default `false`. */
  trustProxy?: boolean | string | string[] | number
  /** Shared secret for HMAC-SHA256 request signing. Absent → no signature check. */
  signingSecret?: string
  /**
   * The names v2 signatures must be for (what clients pass as `audience`), e.g. `"bridge-prod"`. Absent → the
   * request's `Host` header is what the signature must bind.
   */
  audience?: string | string[]
  /** Accept requests signed with rule v1 (which binds no target). Default `false`. */
  acceptV1Signatures?: boolean
  /**
   * A bearer token (≥ 16 characters) that opens `GET /metrics` (`Authorization: Bearer <token>`). With a
   * `signingSecret` and no `metricsToken`, the signing secret is accepted as the bearer. Neither → IP list only.
   */
  metricsToken?: string
}

export interface ReadinessReport {
  ready: boolean
  tiers: Array<{ name: string; state: 'up' | 'down' | 'open'; latencyMs?: number; error?: string }>
}

export interface MetricsHooks {
  /** Prometheus text exposition and its content type. */
  render(): Promise<{ contentType: string; body: string }>
  /** Called once per finished request with the route (e.g. `/getAccessToken`), status and seconds taken. */
  observeRequest?(route: string, statusCode: number, seconds: number): void
}
