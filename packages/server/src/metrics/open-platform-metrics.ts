import type { CredentialBridge } from '@open-bridge/core'
import { componentTicketAge, onOpenPlatformEvent, type OpenPlatformEvent } from '@open-bridge/wechat-fetchers'
import type { Registry } from 'prom-client'
import { errcodeLabel, metricFactory } from './metric-factory.js'

/** What an authorizer sweep found for one component (see the scheduler's authorizer sweeper). */
export interface AuthorizerCounts {
  /** Accounts whose token is held (or was just fetched). */
  ok: number
  /** Accounts that must authorise again (61023): nothing is fetched for them. */
  reauthorize: number
  /** Accounts whose token could not be had this sweep (the next one tries again). */
  failed: number
}

export interface OpenPlatformMetrics {
  /** A push to a component's event URL: its outcome (`ticket-stored`, `authorized`, …) or refusal code. */
  observePush(componentAppid: string, result: string): void
  /** A finished authorizer sweep's counts. */
  observeSweep(componentAppid: string, counts: AuthorizerCounts): void
  close(): void
}

/** The states `open_bridge_authorizers` reports, each exported (at 0) for every component. */
export const AUTHORIZER_STATES = ['ok', 'reauthorize', 'failed'] as const

/**
 * The Open Platform's metrics in the service's registry. Labels are configured component appids, push results and
 * errcodes — never an authorizer appid (thousands of them) and never a credential. Every metric is declared even
 * with no component configured, so rules and dashboards always find it.
 */
export function registerOpenPlatformMetrics(
  registry: Registry,
  bridge: CredentialBridge,
  components: readonly string[],
): OpenPlatformMetrics {
  const metric = metricFactory(registry)
  metric.sampledGauge(
    'open_bridge_component_ticket_age_seconds',
    'Seconds since the newest component_verify_ticket held was pushed (WeChat pushes one every 10 min; +Inf: none ever arrived). Past 12 h no component token can be fetched',
    ['component'] as const,
    () => components,
    async (component) => {
      const age = await componentTicketAge(bridge, component)
      return { labels: { component }, value: age === null ? Infinity : Math.max(0, age) }
    },
  )
  const pushes = metric.counter(
    'open_bridge_component_pushes_total',
    "Pushes to a component's authorisation event URL, by result (ticket-stored, ticket-duplicate, authorized, unauthorized, repeat, E_PUSH_SIGNATURE, …)",
    ['component', 'result'] as const,
  )
  const authorizers = metric.gauge(
    'open_bridge_authorizers',
    'Authorised accounts by state at the last scheduler sweep (ok; reauthorize: 61023, must authorise again; failed: no token this sweep)',
    ['component', 'state'] as const,
  )
  const refreshes = metric.counter(
    'open_bridge_authorizer_refreshes_total',
    'api_authorizer_token calls by errcode (0: ok; an open-bridge code when the platform gave none)',
    ['component', 'errcode'] as const,
  )
  const recovered = metric.counter(
    'open_bridge_authorizer_refresh_tokens_recovered_total',
    'Authorizer refresh tokens missing from the tiers and recovered from api_get_authorizer_list',
    ['component'] as const,
  )
  for (const component of components) {
    for (const state of AUTHORIZER_STATES) authorizers.set({ component, state }, 0)
    refreshes.inc({ component, errcode: '0' }, 0)
    refreshes.inc({ component, errcode: '61023' }, 0)
    recovered.inc({ component }, 0)
    pushes.inc({ component, result: 'ticket-stored' }, 0)
  }

  const off =
    components.length === 0
      ? () => {}
      : onOpenPlatformEvent(bridge, (event: OpenPlatformEvent) => {
          switch (event.type) {
            case 'authorizer-refreshed':
              refreshes.inc({ component: event.componentAppid, errcode: '0' })
              break
            case 'authorizer-refresh-failed':
              refreshes.inc({ component: event.componentAppid, errcode: errcodeLabel(event) })
              break
            case 'refresh-token-recovered':
              recovered.inc({ component: event.componentAppid })
              break
            default:
              break
          }
        })

  return {
    observePush(componentAppid, result) {
      pushes.inc({ component: componentAppid, result: /^[A-Za-z0-9_-]{1,40}$/.test(result) ? result : 'other' })
    },
    observeSweep(componentAppid, counts) {
      for (const state of AUTHORIZER_STATES) authorizers.set({ component: componentAppid, state }, counts[state])
    },
    close: off,
  }
}
