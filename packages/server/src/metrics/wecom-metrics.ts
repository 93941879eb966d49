import type { CredentialBridge } from '@open-bridge/core'
import type { Registry } from 'prom-client'
import { WECOM_CORP_STATES, type WecomCorpCounts } from '../scheduler/wecom-sweeper.js'
import { suiteTicketAge } from '../wecom/suite-ticket-age.js'
import { errcodeLabel, metricFactory } from './metric-factory.js'

export interface WecomMetrics {
  /** A push to a suite's command callback: its InfoType and outcome (`stored`, …) or refusal code (`E_PUSH_SIGNATURE`). */
  observePush(suiteId: string, infoType: string, result: string): void
  /** A finished WeCom sweep's counts for a suite (or `self-built`). */
  observeSweep(suite: string, counts: WecomCorpCounts): void
  close(): void
}

const LABEL = /^[A-Za-z0-9_.-]{1,40}$/

/**
 * WeCom's metrics in the service's registry. Labels are configured suite ids, InfoTypes, results, kinds and
 * errcodes — never a corp id (thousands of them) and never a credential. Every metric is declared even with no
 * suite configured, so rules and dashboards always find it.
 */
export function registerWecomMetrics(
  registry: Registry,
  bridge: CredentialBridge,
  suites: readonly string[],
): WecomMetrics {
  const metric = metricFactory(registry)
  metric.sampledGauge(
    'open_bridge_wecom_suite_ticket_age_seconds',
    'Seconds since the newest suite_ticket held was pushed (WeCom pushes one every 10 min and it lives 30; +Inf: none held). Without one no suite token, so no authorised corp token, can be fetched',
    ['suite'] as const,
    () => suites,
    async (suite) => {
      const age = await suiteTicketAge(bridge, suite)
      return { labels: { suite }, value: age === null ? Infinity : age }
    },
  )
  const pushes = metric.counter(
    'open_bridge_wecom_suite_pushes_total',
    "Pushes to a suite's command callback URL by InfoType and result (stored, removed, refreshed, stale, ignored, E_PUSH_SIGNATURE, …)",
    ['suite', 'info_type', 'result'] as const,
    suites.map((suite) => ({ suite, info_type: 'suite_ticket', result: 'stored' })),
  )
  const corps = metric.gauge(
    'open_bridge_wecom_corps',
    'Authorised corp apps by suite (self-built: the configured apps) and state at the last scheduler sweep (ok: token held; failed: none this sweep)',
    ['suite', 'state'] as const,
  )
  for (const suite of suites) for (const state of WECOM_CORP_STATES) corps.set({ suite, state }, 0)
  const refreshes = metric.counter(
    'open_bridge_wecom_refreshes_total',
    'WeCom credential fetches (gettoken, get_corp_token, get_suite_token, tickets, …) by kind and errcode (0: ok; an open-bridge code when WeCom gave none)',
    ['kind', 'errcode'] as const,
    [{ kind: 'wecom_corp_token', errcode: '0' }],
  )
  const off = [
    bridge.on('fetch', ({ kind }) => {
      if (kind.startsWith('wecom_')) refreshes.inc({ kind, errcode: '0' })
    }),
    bridge.on('fetch-error', ({ kind, error }) => {
      if (kind.startsWith('wecom_')) refreshes.inc({ kind, errcode: errcodeLabel(error) })
    }),
  ]
  return {
    observePush(suiteId, infoType, result) {
      pushes.inc({
        suite: suiteId,
        info_type: LABEL.test(infoType) ? infoType : 'other',
        result: LABEL.test(result) ? result : 'other',
      })
    },
    observeSweep(suite, counts) {
      for (const state of WECOM_CORP_STATES) corps.set({ suite, state }, counts[state])
    },
    close() {
      for (const stop of off) stop()
    },
  }
}
