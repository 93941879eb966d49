import type { CredentialBridge } from '@open-bridge/core'
import type { SchedulerLogger } from '../scheduler/scheduler.js'
import { failureName } from './tier-probe.js'

type Listen = (event: string, listener: (payload: unknown) => void) => () => void

/**
 * Puts the bridge's trouble in the log without flooding it: a failing tier is logged at its first error and
 * then at most once per `intervalMs` with the number of errors in between (every request may hit a tier that is
 * down); breaker changes, when core has breakers, are logged as they happen. Codes and tier names only.
 */
export function logBridgeEvents(bridge: CredentialBridge, logger: SchedulerLogger, intervalMs = 60_000): () => void {
  const lastLogged = new Map<string, { at: number; suppressed: number }>()
  const on = bridge.on.bind(bridge) as unknown as Listen
  const off = [
    bridge.on('tier-error', ({ tier, operation, error }) => {
      const now = Date.now()
      const last = lastLogged.get(tier)
      if (last !== undefined && now - last.at < intervalMs) {
        last.suppressed++
        return
      }
      lastLogged.set(tier, { at: now, suppressed: 0 })
      const since = last === undefined ? {} : { errorsSinceLastLine: last.suppressed + 1 }
      logger.warn(
        { tier, operation, error: failureName(error), ...since },
        `tier ${tier} failed; the bridge goes on with the other tiers`,
      )
    }),
    on('breaker-open', (payload) =>
      logger.warn({ tier: tierOf(payload) }, 'tier breaker open: the tier is skipped for a while'),
    ),
    on('breaker-close', (payload) =>
      logger.info({ tier: tierOf(payload) }, 'tier breaker closed: the tier is used again'),
    ),
  ]
  return () => {
    for (const unsubscribe of off) unsubscribe()
  }
}

function tierOf(payload: unknown): string | undefined {
  const tier = (payload as { tier?: unknown } | undefined)?.tier
  return typeof tier === 'string' ? tier : undefined
}
