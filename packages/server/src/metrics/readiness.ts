import type { CredentialStore } from '@open-bridge/core'
import type { ReadinessReport } from '../app-options.js'
import type { BreakerStates } from './breaker-states.js'
import { PROBE_KEY, failureName, getWithTimeout } from './tier-probe.js'

export interface ReadinessTier {
  store: CredentialStore
  /** In-process tiers (memory) are always up and say nothing about the deployment's shared state. */
  inProcess: boolean
}

/**
 * `GET /readyz`: each tier probed with one cheap read (`timeoutMs` at most), its latency and state (`open` while
 * its breaker is open). Ready when some tier outside the process answers — or when every tier is in-process.
 */
export function createReadiness(
  tiers: readonly ReadinessTier[],
  breakers: BreakerStates | undefined,
  timeoutMs = 1_000,
): () => Promise<ReadinessReport> {
  return async () => {
    const report = await Promise.all(
      tiers.map(async ({ store, inProcess }) => {
        const begun = performance.now()
        try {
          await getWithTimeout(store, PROBE_KEY, timeoutMs)
          const latencyMs = Math.round((performance.now() - begun) * 1000) / 1000
          return {
            name: store.name,
            state: breakers?.isOpen(store.name) ? ('open' as const) : ('up' as const),
            latencyMs,
            inProcess,
          }
        } catch (error) {
          return {
            name: store.name,
            state: 'down' as const,
            latencyMs: Math.round(performance.now() - begun),
            error: failureName(error),
            inProcess,
          }
        }
      }),
    )
    const shared = report.filter((tier) => !tier.inProcess)
    const ready = shared.length === 0 || shared.some((tier) => tier.state === 'up')
    return { ready, tiers: report.map(({ inProcess: _inProcess, ...tier }) => tier) }
  }
}
