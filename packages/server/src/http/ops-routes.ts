import type { CredentialBridge } from '@open-bridge/core'
import type { FastifyInstance } from 'fastify'
import type { MetricsHooks, ReadinessReport } from '../app-options.js'

export const HEALTH_PATH = '/healthz'
export const READY_PATH = '/readyz'
export const METRICS_PATH = '/metrics'

/**
 * `GET /healthz` (the process answers), `GET /readyz` (`readiness()`, or without it: the bridge is open) and,
 * with `metrics`, `GET /metrics` (Prometheus text).
 */
export function registerOpsRoutes(
  app: FastifyInstance,
  bridge: CredentialBridge,
  readiness: (() => Promise<ReadinessReport>) | undefined,
  metrics: MetricsHooks | undefined,
): void {
  app.get(HEALTH_PATH, (_request, reply) => {
    reply.send({ status: 'ok' })
  })

  app.get(READY_PATH, async (request, reply) => {
    let report: ReadinessReport
    try {
      report = readiness !== undefined ? await readiness() : bridgeOpen(bridge)
    } catch (error) {
      request.log.warn({ err: error }, 'readiness probe failed')
      report = { ready: false, tiers: [] }
    }
    reply.code(report.ready ? 200 : 503).send(publicReport(report))
  })

  if (metrics !== undefined) {
    app.get(METRICS_PATH, async (_request, reply) => {
      const { contentType, body } = await metrics.render()
      reply.type(contentType).send(body)
    })
  }
}

/** Without a readiness probe: ready while the bridge is open (`resolve` is synchronous and reads no tier). */
function bridgeOpen(bridge: CredentialBridge): ReadinessReport {
  try {
    bridge.resolve('access_token', { appid: 'readyz', platform: 'weixin-mp' })
    return { ready: true, tiers: [] }
  } catch {
    return { ready: false, tiers: [] }
  }
}

/** Only the documented fields go out: a probe's error text is cut short (it should carry no secret anyway). */
function publicReport(report: ReadinessReport): ReadinessReport {
  return {
    ready: report.ready === true,
    tiers: (Array.isArray(report.tiers) ? report.tiers : []).map((tier) => ({
      name: String(tier.name),
      state: tier.state,
      ...(typeof tier.latencyMs === 'number' ? { latencyMs: tier.latencyMs } : {}),
      ...(typeof tier.error === 'string' ? { error: tier.error.slice(0, 200) } : {}),
    })),
  }
}
