import type { WecomSource } from '@open-bridge/wechat-fetchers'
import type { CredentialBridge, CredentialStore } from '@open-bridge/core'
import type { FastifyInstance } from 'fastify'
import type { ExpiryLookup } from './app-options.js'
import { buildApp } from './app.js'
import { assertSafeExposure, isLoopbackHost } from './auth/exposure.js'
import type { SharedNonces } from './auth/signature.js'
import { appControl } from './http/app-control.js'
import { LOOPBACK_HOST_NAMES } from './http/host-check.js'
import { CONFIG_FILE_NAMES, loadConfig, type LoadConfigOptions } from './config/load-config.js'
import type { ServiceConfig } from './config/service-config.js'
import { renamedConfigError } from './config/renamed-config-error.js'
import { openConfiguredBridge } from './configured-bridge.js'
import { logBridgeEvents } from './metrics/bridge-event-log.js'
import { createReadiness } from './metrics/readiness.js'
import { createServiceMetrics, type ServiceMetrics } from './metrics/service-metrics.js'
import { openPlatformHooks } from './open-platform/open-platform-service.js'
import { createAuthorizerSweeper } from './scheduler/authorizer-sweeper.js'
import { createWecomSweeper, type WecomSweeper } from './scheduler/wecom-sweeper.js'
import { createScheduler, type Scheduler } from './scheduler/scheduler.js'
import type { ScheduledJob } from './scheduler/tasks.js'

export interface StartServerOptions extends LoadConfigOptions {
  /**
   * Shut down on SIGTERM / SIGINT and exit the process: `/readyz` answers 503 at once, the service keeps
   * serving for `server.drainMs`, then closes (0 once closed; 1 if closing takes longer than the grace, or on a
   * second signal). Default `false`: the `open-bridge serve` CLI turns it on.
   */
  handleSignals?: boolean
  /** Longest a graceful shutdown may take, drain included, before the process exits anyway, in ms. Default `server.shutdownGraceMs`. */
  shutdownTimeoutMs?: number
  /** Where log lines go (one JSON object per line). Default stdout. */
  logStream?: { write(line: string): void }
}

export interface RunningServer {
  app: FastifyInstance
  bridge: CredentialBridge
  config: ServiceConfig
  /** `http://host:port` as listened on (the real port when the config asked for 0). */
  url: string
  /**
   * Graceful stop: the scheduler first (runs in flight finish), then the HTTP server (requests read in full are
   * answered, new ones refused, connections still sending a request are cut), then the bridge (its tiers and
   * source). No drain period: that is the signal handler's. Idempotent.
   */
  close(): Promise<void>
}

/**
 * `open-bridge serve`: config → tiers → bridge with the WeChat source → HTTP app → listen → scheduler.
 * Refuses to start (a `ServerError` naming the field) on a bad config or an unguarded non-loopback address;
 * whatever was opened before the failure is closed again.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = await loadConfig(options)
  assertSafeExposure(config.server.host, config.server.auth)

  const opened: Array<() => Promise<unknown>> = []
  const undo = () => Promise.allSettled(opened.reverse().map((close) => close()))
  let metrics: ServiceMetrics | undefined
  try {
    const { bridge, stores, wecom } = await openConfiguredBridge(config)
    opened.push(() => bridge.close()) // the bridge owns the tiers and the source

    const components = config.openPlatform.map((c) => c.componentAppid)
    const suites = config.wecom?.suites.map((suite) => suite.suiteId) ?? []
    metrics = createServiceMetrics({ bridge, stores, credentials: credentialsOf(config), components, suites })
    let wecomSweeper: WecomSweeper | undefined
    const tiersReady = createReadiness(
      stores.map((store, i) => ({ store, inProcess: config.stores[i]?.scheme === 'memory' })),
      metrics.breakers,
    )
    let draining = false
    // Draining: not ready, whatever the tiers say, so a balancer stops sending before the port closes.
    const readiness = () => (draining ? Promise.resolve({ ready: false, tiers: [] }) : tiersReady())
    const app = createApp(
      config,
      bridge,
      metrics,
      readiness,
      options.logStream,
      expiryFrom(stores),
      stores,
      wecom,
      (suiteId, corpId, result) => wecomSweeper?.notePush(suiteId, corpId, result),
    )
    opened.push(() => app.close())
    logStart(app, config, options.cwd ?? process.cwd())
    const stopEventLog = logBridgeEvents(bridge, app.log)
    opened.push(async () => stopEventLog())
    await app.listen({ host: config.server.host, port: config.server.port })

    const sweeper =
      components.length === 0
        ? undefined
        : createAuthorizerSweeper({
            bridge,
            components,
            logger: app.log,
            onSweep: metrics.openPlatform.observeSweep,
          })
    if (sweeper !== undefined) opened.push(async () => sweeper.close())
    wecomSweeper =
      config.wecom === undefined
        ? undefined
        : createWecomSweeper({
            bridge,
            stores,
            apps: (config.wecom.source.corps ?? []).flatMap((corp) =>
              corp.agents.map((agent) => ({ corpId: corp.corpId, agentId: String(agent.agentId) })),
            ),
            suites,
            providerCorpId: config.wecom.source.provider?.corpId,
            ...(config.wecom.sweepConcurrency !== undefined ? { concurrency: config.wecom.sweepConcurrency } : {}),
            logger: app.log,
            onSweep: metrics.wecom.observeSweep,
          })
    const wecomSweeping = wecomSweeper
    if (wecomSweeping !== undefined) opened.push(async () => wecomSweeping.close())
    const sweeps = [sweeper, wecomSweeper].filter((s) => s !== undefined)
    const scheduler = createScheduler({
      ...(sweeps.length > 0
        ? {
            sweep: async () => {
              for (const each of sweeps) await each.sweep()
            },
          }
        : {}),
      bridge,
      jobs: jobsOf(config),
      cron: config.schedule.cron,
      jitterMs: config.schedule.jitterMs,
      timezone: config.schedule.timezone,
      logger: app.log,
      onRun: metrics.observeRun,
    })
    if (config.schedule.enable) scheduler.start()
    else app.log.info('scheduler disabled (schedule.enable: false)')

    const running: RunningServer = {
      app,
      bridge,
      config,
      url: urlOf(app),
      close: closer(app, bridge, scheduler, metrics, stopEventLog, sweeps),
    }
    const drain = () => {
      draining = true
      const control = appControl(app)
      if (control !== undefined) control.draining = true
    }
    if (options.handleSignals) {
      handleSignals(running, drain, config.server.drainMs, options.shutdownTimeoutMs ?? config.server.shutdownGraceMs)
    }
    return running
  } catch (error) {
    metrics?.close()
    await undo()
    throw error
  }
}

/**
 * The expiry of what a route just answered, for `x-ob-expires-in`: the nearest tier that holds the record
 * (the in-process memory tier, when there is one, after the read that filled it). A tier that throws is passed.
 */
function expiryFrom(stores: CredentialStore[]): ExpiryLookup {
  return async (storageKey) => {
    for (const store of stores) {
      try {
        const record = store.getSync?.(storageKey, Date.now()) ?? (await store.get(storageKey))
        if (record !== undefined) return record.expiresAt
      } catch {
        // The bridge reports tier errors through its own events; a missing header is harmless.
      }
    }
    return undefined
  }
}

function createApp(
  config: ServiceConfig,
  bridge: CredentialBridge,
  metrics: ServiceMetrics,
  readiness: () => ReturnType<ReturnType<typeof createReadiness>>,
  stream: StartServerOptions['logStream'],
  expiryOf: ExpiryLookup,
  stores: CredentialStore[],
  wecom: WecomSource | undefined,
  onWecomPush: (suiteId: string, corpId: string | undefined, result: string) => void,
): FastifyInstance {
  // Nonces are claimed where the refresh lock lives: the first tier several processes share.
  const shared = config.server.auth.signingSecret === undefined ? undefined : stores.find((s) => s.lock !== undefined)
  let warned = 0
  let app: FastifyInstance | undefined
  const sharedNonces: SharedNonces | undefined =
    shared?.lock === undefined
      ? undefined
      : {
          lock: shared.lock,
          name: shared.name,
          onError: (error) => {
            // At most one line in 10 s: a tier that is down would otherwise log once per request.
            if (Date.now() - warned < 10_000) return
            warned = Date.now()
            app?.log.warn(
              { err: error, tier: shared.name },
              'replay protection: the shared tier did not answer; nonces are checked by this process only meanwhile',
            )
          },
        }
  try {
    app = buildApp({
      ...(sharedNonces !== undefined ? { sharedNonces } : {}),
      bridge,
      auth: config.server.auth,
      limits: config.server.limits,
      allowedHosts: allowedHostsOf(config),
      ...(config.server.bodyLimit !== undefined ? { bodyLimit: config.server.bodyLimit } : {}),
      logger: { level: config.log.level, ...(stream ? { stream } : {}) },
      readiness,
      metrics: metrics.hooks,
      expiryOf,
      ...(config.openPlatform.length > 0
        ? { openPlatform: openPlatformHooks(bridge, config.openPlatform, metrics.openPlatform.observePush) }
        : {}),
      ...(wecom !== undefined && config.wecom !== undefined
        ? {
            wecom: {
              source: wecom,
              suites: config.wecom.suites,
              onPush(suiteId: string, infoType: string, result: string, corpId?: string) {
                metrics.wecom.observePush(suiteId, infoType, result)
                onWecomPush(suiteId, corpId, result)
              },
            },
          }
        : {}),
    })
    if (config.server.auth.signingSecret !== undefined) {
      app.log.info(
        { tier: sharedNonces?.name },
        sharedNonces !== undefined
          ? `replay protection: nonces claimed in tier ${sharedNonces.name} (refused by every process sharing it, and after a restart)`
          : 'replay protection: nonces kept by this process only (no tier with a lock)',
      )
    }
    return app
  } catch (error) {
    // buildApp names its own options (auth.ipAllowList[0], bodyLimit); the config file has them under server.
    throw renamedConfigError(error, (field) => (field === 'bridge' ? field : `server.${field}`))
  }
}

/**
 * The `Host` names answered: the configured ones; on a loopback service without a signing secret (what a web
 * page rebinding its name to 127.0.0.1 would reach) the loopback names; otherwise any.
 */
function allowedHostsOf(config: ServiceConfig): string[] | undefined {
  const { host, allowedHosts, auth } = config.server
  if (allowedHosts !== undefined) return allowedHosts
  if (!isLoopbackHost(host) || auth.signingSecret !== undefined) return undefined
  const own = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return [...new Set([...LOOPBACK_HOST_NAMES, own.toLowerCase()])]
}

/** One line when running on the embedded default; otherwise where the config came from and what it set up. */
function logStart(app: FastifyInstance, config: ServiceConfig, cwd: string): void {
  const { file, uniConfigCenter } = config.origin
  const where = `${config.server.host}:${config.server.port}`
  if (file === undefined && uniConfigCenter === undefined) {
    app.log.info(
      { cwd, stores: config.stores.map((s) => s.label) },
      `no config file (${CONFIG_FILE_NAMES.join(', ')}) in the working directory: running the embedded default — ` +
        `memory + SQLite ./open-bridge.db on ${where}`,
    )
    return
  }
  app.log.info(
    {
      configFile: file,
      uniConfigCenter,
      stores: config.stores.map((s) => s.label),
      apps: config.apps.map((a) => ({
        platform: a.platform,
        appid: a.appid,
        dcloudAppid: a.dcloudAppid,
        tasks: a.tasks,
      })),
      openPlatform: config.openPlatform.map((c) => c.componentAppid),
    },
    `configuration loaded: ${config.stores.length} tier(s), ${config.apps.length} app(s), serving on ${where}`,
  )
}

function jobsOf(config: ServiceConfig): ScheduledJob[] {
  return config.apps.flatMap((app) =>
    app.tasks.map((task) => ({ platform: app.platform, appid: app.appid, dcloudAppid: app.dcloudAppid, task })),
  )
}

/** The app credentials whose life left `/metrics` shows: every app's access_token, and the tickets scheduled. */
function credentialsOf(
  config: ServiceConfig,
): Array<{ platform: ServiceConfig['apps'][number]['platform']; appid: string; kind: 'access_token' | 'ticket' }> {
  return config.apps.flatMap((app) => [
    { platform: app.platform, appid: app.appid, kind: 'access_token' as const },
    ...(app.tasks.includes('ticket') ? [{ platform: app.platform, appid: app.appid, kind: 'ticket' as const }] : []),
  ])
}

function closer(
  app: FastifyInstance,
  bridge: CredentialBridge,
  scheduler: Scheduler,
  metrics: ServiceMetrics,
  stopEventLog: () => void,
  sweepers: ReadonlyArray<{ close(): void }>,
): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () =>
    (closing ??= (async () => {
      for (const sweeper of sweepers) sweeper.close()
      await scheduler.stop()
      const control = appControl(app)
      // fastify stops accepting and closes the idle connections; requests read in full are answered. A
      // connection still sending its request (a half-sent body, headers that never end) is cut as soon as no
      // answer is being written: shutdown never waits on a client that does not send.
      let done = false
      const cutWhenIdle = async () => {
        while (!done) {
          await control?.idle()
          if (done) return
          app.server.closeAllConnections()
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
      const closed = app.close()
      void cutWhenIdle()
      try {
        await closed
      } finally {
        done = true
      }
      metrics.close()
      await bridge.close()
      stopEventLog()
    })())
}

function handleSignals(server: RunningServer, drain: () => void, drainMs: number, graceMs: number): void {
  const log = server.app.log
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal during shutdown: exiting now')
      process.exit(1)
    }
    stopping = true
    drain()
    log.info(
      { signal, drainMs },
      'shutting down: /readyz answers 503; serving for the drain period, then finishing requests in flight and closing the tiers',
    )
    const timer = setTimeout(() => {
      log.error({ timeoutMs: graceMs }, 'shutdown took too long: exiting anyway')
      process.exit(1)
    }, graceMs)
    timer.unref()
    new Promise((resolve) => setTimeout(resolve, drainMs))
      .then(() => server.close())
      .then(
        () => {
          log.info('stopped')
          process.exit(0)
        },
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed')
          process.exit(1)
        },
      )
  }
  // `on`, not `once`: a second signal must reach the handler too (it exits at once).
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

function urlOf(app: FastifyInstance): string {
  const address = app.server.address()
  if (typeof address === 'object' && address !== null) {
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}`
  }
  return String(address)
}
