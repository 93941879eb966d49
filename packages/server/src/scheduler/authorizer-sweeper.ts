import type { CredentialBridge } from '@open-bridge/core'
import {
  authorizerState,
  componentAccessToken,
  listAuthorizers,
  onOpenPlatformEvent,
} from '@open-bridge/wechat-fetchers'
import type { AuthorizerCounts } from '../metrics/open-platform-metrics.js'
import { errorDetails, type SchedulerLogger } from './scheduler.js'

export interface AuthorizerSweeperOptions {
  bridge: CredentialBridge
  /** The components whose token and authorizers are kept fresh. */
  components: readonly string[]
  /** Most authorizer reads (and so platform calls) in flight at once, per sweep. Default 16. */
  concurrency?: number
  /** How often the account list is read again from the platform (`api_get_authorizer_list`), in ms. Default 10 min. */
  listEveryMs?: number
  /**
   * A token with less life left than this is replaced by the sweep itself (compare-and-refresh, awaited, so within
   * `concurrency`), before core's refresh-ahead window (3 min) would replace it in the background, unbounded. Default
   * 10 min.
   */
  refreshBeforeMs?: number
  logger: SchedulerLogger
  /** Told each component's counts when its sweep ends (metrics). */
  onSweep?: (componentAppid: string, counts: AuthorizerCounts) => void
  /** For tests. Default `Date.now`. */
  now?: () => number
}

export interface AuthorizerSweeper {
  /** One pass over every component: its token, then each authorizer's, at most `concurrency` at once. */
  sweep(): Promise<void>
  /** The accounts known per component (from the list and the events since). */
  known(componentAppid: string): number
  /** Stops listening to events; a sweep in flight ends after the reads already begun (call after it resolves). */
  close(): void
}

const DEFAULT_CONCURRENCY = 16
const DEFAULT_LIST_EVERY_MS = 10 * 60_000
const DEFAULT_REFRESH_BEFORE_MS = 10 * 60_000

/**
 * Keeps every component token and every authorised account's access token fresh by reading them through the bridge,
 * as any caller does: a live token is a memory hit, one within its refresh-ahead window or gone is fetched once for
 * the whole deployment (the refresh lock). Accounts are read at most `concurrency` at a time, so 10,000 of them that
 * fall due together cost `concurrency` platform calls in flight, never a burst; tokens fetched at different times fall
 * due at different times, which spreads the load across sweeps. A token within `refreshBeforeMs` of its end is replaced
by the sweep (compare-and-refresh, awaited), so replacements stay within the bound too. The account list is the platform's (re-read every
 * `listEveryMs`) with the accounts authorised or withdrawn since (the family's events). An account at `reauthorize`
 * (61023) is counted, never fetched.
 */
export function createAuthorizerSweeper(options: AuthorizerSweeperOptions): AuthorizerSweeper {
  const { bridge, logger } = options
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const listEveryMs = options.listEveryMs ?? DEFAULT_LIST_EVERY_MS
  const now = options.now ?? Date.now
  const refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS
  const lists = new Map<string, { at: number; appids: Set<string> }>()
  let stopped = false

  const off =
    options.components.length === 0
      ? () => {}
      : onOpenPlatformEvent(bridge, (event) => {
          const list = lists.get(event.componentAppid)
          if (list === undefined) return
          if (event.type === 'authorized') list.appids.add(event.authorizerAppid)
          if (event.type === 'unauthorized') list.appids.delete(event.authorizerAppid)
        })

  async function accountsOf(componentAppid: string): Promise<Set<string>> {
    const held = lists.get(componentAppid)
    if (held !== undefined && now() - held.at < listEveryMs) return held.appids
    const listed = await listAuthorizers(bridge, componentAppid)
    const appids = new Set(listed.map((entry) => entry.authorizerAppid))
    lists.set(componentAppid, { at: now(), appids })
    return appids
  }

  async function sweepComponent(componentAppid: string): Promise<void> {
    const describe = { componentAppid }
    try {
      await bridge.credential(componentAccessToken).get({ componentAppid })
    } catch (error) {
      logger.warn({ ...describe, ...errorDetails(error) }, 'scheduled refresh of the component token failed')
      return
    }
    let appids: string[]
    try {
      appids = [...(await accountsOf(componentAppid))]
    } catch (error) {
      logger.warn({ ...describe, ...errorDetails(error) }, 'the authorizer list could not be read; next sweep retries')
      return
    }
    const counts: AuthorizerCounts = { ok: 0, reauthorize: 0, failed: 0 }
    let next = 0
    const worker = async () => {
      while (next < appids.length && !stopped) {
        const appid = appids[next++]!
        try {
          const home = await authorizerState(bridge, appid)
          if (home?.status === 'reauthorize') {
            counts.reauthorize++
            continue
          }
          // The platform its token is read under (recorded at its first fetch); an official account's until then.
          const platform = home?.platform ?? 'weixin-h5'
          const key = { appid, platform } as const
          // A miss is fetched here, awaited; a token near its end is replaced here, awaited: both within the bound.
          const record = await bridge.getRecord('access_token', key)
          if (record === null) {
            counts.failed++
            continue
          }
          if (record.expiresAt !== null && record.expiresAt - now() < refreshBeforeMs) {
            const fresh = await bridge.refreshAccessToken(key, { ifValue: record.value.access_token })
            if (fresh === null) {
              counts.failed++
              continue
            }
          }
          counts.ok++
        } catch (error) {
          const code = (error as { code?: unknown }).code
          if (code === 'E_AUTHORIZER_REAUTHORIZE') counts.reauthorize++
          else {
            counts.failed++
            logger.debug(
              { ...describe, authorizerAppid: appid, ...errorDetails(error) },
              'authorizer token refresh failed',
            )
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, appids.length) }, worker))
    if (stopped) return
    options.onSweep?.(componentAppid, counts)
    const level = counts.failed > 0 ? 'warn' : 'debug'
    logger[level]({ ...describe, ...counts }, 'authorizer sweep done')
  }

  return {
    async sweep() {
      for (const componentAppid of options.components) if (!stopped) await sweepComponent(componentAppid)
    },
    known: (componentAppid) => lists.get(componentAppid)?.appids.size ?? 0,
    close() {
      stopped = true
      off()
    },
  }
}
