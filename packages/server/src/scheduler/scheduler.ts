import { setTimeout as sleep } from 'node:timers/promises'
import type { CredentialBridge } from '@open-bridge/core'
import { Cron } from 'croner'
import { runTask, type ScheduledJob } from './tasks.js'

/** The pino-style logger the scheduler writes to (fastify's `app.log` fits). */
export interface SchedulerLogger {
  debug(details: object, message: string): void
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export type RunOutcome = 'ok' | 'empty' | 'error' | 'skipped'

export interface SchedulerOptions {
  bridge: CredentialBridge
  jobs: readonly ScheduledJob[]
  /** croner expression; 6 fields = with seconds. */
  cron: string
  /** Each run first waits a random 0…jitterMs, so replicas started together do not ask together. */
  jitterMs: number
  timezone?: string | undefined
  logger: SchedulerLogger
  /** Runs every job once at `start()` (after its jitter) instead of waiting for the first tick. Default `true`. */
  runOnStart?: boolean
  /** Told about every run (metrics). */
  onRun?: (job: ScheduledJob, outcome: RunOutcome, seconds: number) => void
  /** For tests. Default `Math.random`. */
  random?: () => number
  /**
   * A sweep run on the same schedule (after its jitter, never two at once): the Open Platform's authorizer sweeper,
   * which keeps every component's and authorised account's token fresh.
   */
  sweep?: () => Promise<void>
}

export interface Scheduler {
  start(): void
  /** Stops the timers, cancels runs still waiting out their jitter, and waits for the runs in flight. */
  stop(): Promise<void>
}

/**
 * Keeps each job's credential fresh by reading it through the bridge on a cron schedule. Runs of one job never
 * overlap (a run still going when the next is due makes that one a `skipped`); a failure is logged with the
 * app, the task and the error's code / errcode — never a secret — and the next run happens as planned.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { bridge, jobs, logger, jitterMs } = options
  const random = options.random ?? Math.random
  const stopping = new AbortController()
  const inFlight = new Set<Promise<void>>()
  const crons: Cron[] = []
  let started = false

  const runner = (job: ScheduledJob) => {
    let busy = false
    const describe = { app: job.dcloudAppid ?? job.appid, appid: job.appid, platform: job.platform, task: job.task }
    const run = async (): Promise<void> => {
      if (busy) {
        logger.warn(describe, 'scheduled refresh skipped: the previous run of this task is still going')
        options.onRun?.(job, 'skipped', 0)
        return
      }
      busy = true
      try {
        const delay = Math.floor(random() * jitterMs)
        if (delay > 0) await sleep(delay, undefined, { signal: stopping.signal })
        const begun = performance.now()
        let outcome: RunOutcome
        try {
          outcome = (await runTask(bridge, job)) ? 'ok' : 'empty'
          if (outcome === 'ok') logger.debug(describe, 'scheduled refresh: credential held')
          else logger.warn(describe, 'scheduled refresh: the source produced no credential for this app')
        } catch (error) {
          if (stopping.signal.aborted && isCode(error, 'E_CLOSED')) return
          outcome = 'error'
          logger.warn(
            { ...describe, ...errorDetails(error) },
            'scheduled refresh failed; the next run is still scheduled',
          )
        }
        options.onRun?.(job, outcome, (performance.now() - begun) / 1000)
      } catch {
        // Only the jitter sleep lands here: aborted by stop().
      } finally {
        busy = false
      }
    }
    return () => {
      const promise = run()
      inFlight.add(promise)
      void promise.finally(() => inFlight.delete(promise))
      return promise
    }
  }

  return {
    start() {
      if (started) return
      started = true
      for (const job of jobs) {
        const fire = runner(job)
        const describe = { app: job.dcloudAppid ?? job.appid, appid: job.appid, platform: job.platform, task: job.task }
        const overlap = () => {
          logger.warn(describe, 'scheduled refresh skipped: the previous run of this task is still going')
          options.onRun?.(job, 'skipped', 0)
        }
        crons.push(
          new Cron(
            options.cron,
            { ...(options.timezone ? { timezone: options.timezone } : {}), protect: overlap },
            fire,
          ),
        )
        if (options.runOnStart !== false) void fire()
      }
      const sweep = options.sweep
      if (sweep !== undefined) {
        let sweeping = false
        const fire = async () => {
          if (sweeping) return
          sweeping = true
          try {
            const delay = Math.floor(random() * jitterMs)
            if (delay > 0) await sleep(delay, undefined, { signal: stopping.signal })
            await sweep()
          } catch (error) {
            if (!stopping.signal.aborted)
              logger.warn(errorDetails(error), 'authorizer sweep failed; the next one is still scheduled')
          } finally {
            sweeping = false
          }
        }
        const track = () => {
          const promise = fire()
          inFlight.add(promise)
          void promise.finally(() => inFlight.delete(promise))
        }
        crons.push(new Cron(options.cron, { ...(options.timezone ? { timezone: options.timezone } : {}) }, track))
        if (options.runOnStart !== false) track()
      }
      if (jobs.length > 0 || sweep !== undefined)
        logger.info(
          { jobs: jobs.length, sweep: sweep !== undefined, cron: options.cron, jitterMs },
          'scheduler started',
        )
    },
    async stop() {
      stopping.abort()
      for (const cron of crons) cron.stop()
      await Promise.allSettled([...inFlight])
    },
  }
}

/** What a log line may say about a failure: codes and the platform's errcode, and our own vetted messages. */
export function errorDetails(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { error: typeof error }
  const e = error as {
    code?: unknown
    errcode?: unknown
    category?: unknown
    message?: unknown
    name?: unknown
    ipDiagnosis?: { ip?: unknown; whitelist?: unknown; adminMustConfirm?: unknown }
  }
  const ours = typeof e.code === 'string' && e.code.startsWith('E_')
  const ip = typeof e.ipDiagnosis === 'object' && e.ipDiagnosis !== null ? e.ipDiagnosis : undefined
  return {
    ...(typeof e.code === 'string' ? { errCode: e.code } : {}),
    ...(typeof e.errcode === 'number' ? { errcode: e.errcode } : {}),
    ...(typeof e.category === 'string' ? { category: e.category } : {}),
    // A refusal of this server's IP: the IP the platform saw and where it belongs (the advice is in errMsg).
    ...(ip !== undefined && typeof ip.whitelist === 'string'
      ? {
          platformSawIp: typeof ip.ip === 'string' ? ip.ip : null,
          ipWhitelist: ip.whitelist,
          adminMustConfirm: ip.adminMustConfirm === true,
        }
      : {}),
    // open-bridge's own errors promise messages free of secrets; anything else is named, not quoted.
    ...(ours && typeof e.message === 'string'
      ? { errMsg: e.message }
      : { error: typeof e.name === 'string' ? e.name : 'Error' }),
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code
}
