import type { CredentialBridge, CredentialStore, Platform } from '@open-bridge/core'
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { MetricsHooks } from '../app-options.js'
import type { RunOutcome } from '../scheduler/scheduler.js'
import type { ScheduledJob } from '../scheduler/tasks.js'
import { BreakerStates } from './breaker-states.js'
import { registerOpenPlatformMetrics, type OpenPlatformMetrics } from './open-platform-metrics.js'
import { errcodeLabel, metricFactory } from './metric-factory.js'
import { lifeLeft } from './tier-probe.js'
import { registerWecomMetrics, type WecomMetrics } from './wecom-metrics.js'

export interface ServiceMetricsOptions {
  bridge: CredentialBridge
  /** The tiers, nearest first: the life-left gauge reads them at scrape time (never through the bridge: no fetch). */
  stores: readonly CredentialStore[]
  /** The app credentials whose life left is exported. */
  credentials: ReadonlyArray<{ platform: Platform; appid: string; kind: 'access_token' | 'ticket' }>
  /** Node's process metrics (CPU, memory, event loop lag). Default `true`. */
  processMetrics?: boolean
  /** Longest one tier read may take during a scrape, in ms. Default 500. */
  scrapeReadTimeoutMs?: number
  /** The Open Platform components served (their ticket age, pushes, authorizers, refreshes). Default none. */
  components?: readonly string[]
  /** The WeCom suites served (their ticket age, pushes, authorised corps). Default none. */
  suites?: readonly string[]
}

export interface ServiceMetrics {
  /** For `buildApp({ metrics })`. */
  hooks: MetricsHooks
  /** Tier breaker states (shared with `/readyz`). */
  breakers: BreakerStates
  /** For the scheduler's `onRun`. */
  observeRun(job: ScheduledJob, outcome: RunOutcome, seconds: number): void
  /** The Open Platform's: pushes (for the event route) and authorizer sweeps (for the scheduler). */
  openPlatform: OpenPlatformMetrics
  /** WeCom's: suite pushes (for the command callback route) and sweeps (for the scheduler). */
  wecom: WecomMetrics
  /** Unsubscribes from the bridge. */
  close(): void
}

/**
 * Prometheus metrics in a registry of their own (never prom-client's global one, so two services in a process, or
 * a test, never collide). Labels are platforms, kinds, tiers, routes and configured appids: no credential, no
 * secret, no storage key of a user (openids stay out).
 */
export function createServiceMetrics(options: ServiceMetricsOptions): ServiceMetrics {
  const { bridge, stores } = options
  const registry = new Registry()
  const registers = [registry]
  const metric = metricFactory(registry)
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry })

  const fetches = metric.counter(
    'open_bridge_upstream_fetches_total',
    'Credentials fetched from the platform (source) or a caller fallback, by result',
    ['platform', 'kind', 'by', 'result'] as const,
  )
  const fetchSeconds = new Histogram({
    name: 'open_bridge_upstream_fetch_duration_seconds',
    help: 'Time one upstream fetch took',
    labelNames: ['platform', 'kind', 'result'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  })
  const errcodes = metric.counter(
    'open_bridge_upstream_errcodes_total',
    'Failed upstream fetches by platform errcode (or open-bridge error code when the platform gave none)',
    ['platform', 'kind', 'errcode'] as const,
  )
  const leaseLost = metric.counter(
    'open_bridge_lease_lost_total',
    'Refreshes whose holder lost its refresh lease (a pause past it) and whose write the fence refused, by what its callers were served',
    ['platform', 'kind', 'reason', 'served'] as const,
  )
  const errorCategories = metric.counter(
    'open_bridge_upstream_errors_total',
    'Failed upstream fetches by category: what to do about them (config, ip-whitelist, ip-confirm, quota, token-invalid, transient, user, other); the alert rules page on it',
    ['platform', 'kind', 'category'] as const,
  )
  // Every configured credential's series start at 0, so the first failure is an increase an alert sees at once.
  for (const { platform, kind } of options.credentials)
    for (const category of ERROR_CATEGORIES) errorCategories.inc({ platform, kind, category }, 0)
  const tierErrors = metric.counter(
    'open_bridge_tier_errors_total',
    'Tier operations that failed (the bridge went on with the next tier)',
    ['tier', 'operation'] as const,
  )
  const breakerOpen = metric.gauge(
    'open_bridge_tier_breaker_open',
    '1 while the tier circuit breaker is open (the tier is skipped), else 0',
    ['tier'] as const,
  )
  const requestSeconds = new Histogram({
    name: 'open_bridge_http_request_duration_seconds',
    help: 'HTTP request latency by route and status code',
    labelNames: ['route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  })
  const runs = metric.counter(
    'open_bridge_scheduled_runs_total',
    'Scheduler runs by outcome (ok, empty: the source produced nothing, error, skipped: the previous run was still going)',
    ['platform', 'appid', 'task', 'outcome'] as const,
  )
  const readTimeout = options.scrapeReadTimeoutMs ?? 500
  const credentials = options.credentials.map((c) => ({
    ...c,
    storageKey: bridge.resolve(c.kind, { appid: c.appid, platform: c.platform }).key.storageKey,
  }))
  metric.sampledGauge(
    'open_bridge_credential_ttl_seconds',
    'Seconds of life left of each configured app credential in the nearest tier holding it (+Inf: never expires; absent: none held)',
    ['platform', 'appid', 'kind'] as const,
    () => credentials,
    async ({ platform, appid, kind, storageKey }) => {
      const left = await lifeLeft(stores, storageKey, readTimeout)
      return left === undefined ? undefined : { labels: { platform, appid, kind }, value: left }
    },
  )

  const openPlatform = registerOpenPlatformMetrics(registry, bridge, options.components ?? [])
  const wecom = registerWecomMetrics(registry, bridge, options.suites ?? [])

  for (const store of stores) breakerOpen.set({ tier: store.name }, 0)
  const breakers = new BreakerStates(bridge, (tier, open) => breakerOpen.set({ tier }, open ? 1 : 0))
  const unsubscribe = [
    bridge.on('fetch', ({ kind, storageKey, by, durationMs }) => {
      const platform = platformOf(storageKey)
      fetches.inc({ platform, kind, by, result: 'ok' })
      fetchSeconds.observe({ platform, kind, result: 'ok' }, durationMs / 1000)
    }),
    bridge.on('fetch-error', ({ kind, storageKey, by, durationMs, error }) => {
      const platform = platformOf(storageKey)
      fetches.inc({ platform, kind, by, result: 'error' })
      fetchSeconds.observe({ platform, kind, result: 'error' }, durationMs / 1000)
      errcodes.inc({ platform, kind, errcode: errcodeLabel(error) })
      errorCategories.inc({ platform, kind, category: categoryOfError(error) })
    }),
    bridge.on('tier-error', ({ tier, operation }) => tierErrors.inc({ tier, operation })),
    bridge.on('lease-lost', ({ kind, storageKey, reason, served }) =>
      leaseLost.inc({ platform: platformOf(storageKey), kind, reason, served }),
    ),
  ]

  // One child per route and status, made once: the hot path is then a bucket increment.
  const children = new Map<string, ReturnType<typeof requestSeconds.labels>>()
  const hooks: MetricsHooks = {
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() }
    },
    observeRequest(route, statusCode, seconds) {
      const id = `${statusCode} ${route}`
      let child = children.get(id)
      if (child === undefined) {
        child = requestSeconds.labels(route, String(statusCode))
        children.set(id, child)
      }
      child.observe(seconds)
    },
  }

  return {
    hooks,
    breakers,
    observeRun(job, outcome) {
      runs.inc({ platform: job.platform, appid: job.appid, task: job.task, outcome })
    },
    openPlatform,
    wecom,
    close() {
      for (const off of unsubscribe) off()
      openPlatform.close()
      wecom.close()
      breakers.close()
    },
  }
}

/** Storage keys are `uni-id:<platform>:…`; anything else (a custom source's key) is `unknown`. */
function platformOf(storageKey: string): string {
  const [prefix, platform] = storageKey.split(':', 2)
  return prefix === 'uni-id' && platform ? platform : 'unknown'
}

/** Our codes that mean an operator must fix the config, and those that mean the platform could not be reached. */
const CONFIG_CODES = new Set(['E_APP_NOT_CONFIGURED', 'E_NO_SOURCE', 'E_UNKNOWN_APP', 'E_INVALID_CONFIG'])
const TRANSIENT_CODES = new Set(['E_TIMEOUT', 'E_FETCH_TIMEOUT', 'E_UNREACHABLE'])

/** The categories of `open_bridge_upstream_errors_total`, each exported at 0 for every configured credential. */
export const ERROR_CATEGORIES = [
  'config',
  'ip-whitelist',
  'ip-confirm',
  'quota',
  'token-invalid',
  'transient',
  'user',
  'other',
] as const

/**
 * What to do about a failed fetch: `ip-whitelist` / `ip-confirm` for a refused IP (the error's `ipDiagnosis`),
 * else the platform error's `category` (wechat-fetchers' table: `config`, `ip-confirm`, `quota`, `token-invalid`,
 * `transient`, `user`), else `config` for a source that cannot fetch for
 * this app, `transient` for a timeout, an unreachable platform or its 5xx, `other` for anything else. Read
 * structurally: the error may come from another copy of the package.
 */
function categoryOfError(error: unknown): string {
  const { category, code, status, ipDiagnosis } = (typeof error === 'object' && error !== null ? error : {}) as {
    category?: unknown
    code?: unknown
    status?: unknown
    ipDiagnosis?: { whitelist?: unknown }
  }
  // A refused IP is a config error to wechat-fetchers; here it has its own category, so it pages as an IP problem.
  const whitelist = typeof ipDiagnosis === 'object' && ipDiagnosis !== null ? ipDiagnosis.whitelist : undefined
  if (typeof whitelist === 'string') return whitelist === 'admin-confirm' ? 'ip-confirm' : 'ip-whitelist'
  if (typeof category === 'string' && /^[a-z-]{1,20}$/.test(category)) return category
  if (typeof code !== 'string') return 'other'
  if (CONFIG_CODES.has(code)) return 'config'
  if (TRANSIENT_CODES.has(code)) return 'transient'
  if (code === 'E_HTTP') return typeof status === 'number' && status < 500 ? 'other' : 'transient'
  return 'other'
}
