import type { CredentialBridge, CredentialStore } from '@open-bridge/core'
import {
  wecomAgentTicket,
  wecomCorpToken,
  wecomJsapiTicket,
  wecomPermanentCode,
  wecomProviderToken,
  wecomSuiteTicket,
  wecomSuiteToken,
  type CorpAppKey,
} from '@open-bridge/wechat-fetchers'
import { lifeLeft } from '../metrics/tier-probe.js'
import { authorisedCorps } from '../wecom/authorised-corps.js'
import { errorDetails, type SchedulerLogger } from './scheduler.js'

/** What a WeCom sweep found for one suite's authorised corp apps (`self-built` for the configured apps). */
export interface WecomCorpCounts {
  /** Corp apps whose token is held (or was just fetched / replaced). */
  ok: number
  /** Corp apps whose token could not be had this sweep (the next one tries again). */
  failed: number
}

/** The states `open_bridge_wecom_corps` reports. */
export const WECOM_CORP_STATES = ['ok', 'failed'] as const

export interface WecomSweeperOptions {
  bridge: CredentialBridge
  /** The tiers, nearest first: walked (`keys()`) for the stored permanent codes, read for the tickets held. */
  stores: readonly CredentialStore[]
  /** Self-built apps (configured with a secret). */
  apps: readonly CorpAppKey[]
  /** Configured suites: their suite token (when a suite ticket is held) and their authorised corps' apps. */
  suites: readonly string[]
  /** The provider's corp id, when `wecom.provider` is configured. */
  providerCorpId?: string | undefined
  /** Most corp apps worked on (and so platform calls) at once. Default 16. */
  concurrency?: number
  /**
   * A token or ticket with less life left than this is replaced by the sweep itself (compare-and-refresh, awaited,
   * so within `concurrency`) before core's refresh-ahead (1 min for WeCom's kinds) would replace it in the
   * background, unbounded. Default 10 min.
   */
  refreshBeforeMs?: number
  /** How often the tiers are walked again for permanent codes, in ms (pushes seen since are added at once). Default 10 min. */
  listEveryMs?: number
  /** Longest one raw tier read (is a ticket held?) may take, in ms. Default 500. */
  readTimeoutMs?: number
  logger: SchedulerLogger
  /** Told each suite's counts (and `self-built`'s) when a sweep ends (metrics). */
  onSweep?: (suite: string, counts: WecomCorpCounts) => void
  /** For tests. Default `Date.now`. */
  now?: () => number
}

export interface WecomSweeper {
  /** One pass: the provider token, each suite's token, then every corp app's token (and the tickets it holds). */
  sweep(): Promise<void>
  /** A suite push seen by the command callback: a corp authorised (`stored`) or cancelled (`removed`). */
  notePush(suiteId: string, corpId: string | undefined, action: string): void
  /** The authorised corps known per suite (from the last walk and the pushes since). */
  known(suiteId: string): number
  /** A sweep in flight ends after the corp apps already begun. */
  close(): void
}

/** The label of the configured self-built apps in `onSweep`. */
export const SELF_BUILT = 'self-built'

const DEFAULT_CONCURRENCY = 16
const DEFAULT_REFRESH_BEFORE_MS = 10 * 60_000
const DEFAULT_LIST_EVERY_MS = 10 * 60_000

/** What the sweep needs of a WeCom kind's definition. */
interface SweptKind<Key> {
  readonly name: string
  readonly credentialField?: string | number | symbol | undefined
  storageKey(key: Readonly<Key>): string
}

interface CorpApp extends CorpAppKey {
  /** `self-built`, or the suite the corp authorised. */
  owner: string
}

/**
 * Keeps WeCom's tokens fresh for thousands of corps, reading through the bridge as any caller does: a live token
 * is a memory hit, a missing one is fetched once for the whole deployment (the refresh lock), one within
 * `refreshBeforeMs` of its end is replaced here (compare-and-refresh, awaited). Corp apps are worked on at most
 * `concurrency` at a time, so corps that fall due together cost that many calls in flight, never a burst.
 *
 * - the provider token; each suite's suite token only while a suite ticket is held (pushed every 10 min; without
 *   one no suite token can be had, and the suite's corps are still swept: their held tokens are counted);
 * - every configured self-built app's corp token (`gettoken`) and every authorised corp's apps (`get_corp_token`):
 *   the corps are the permanent codes the tiers hold (walked every `listEveryMs`, plus the pushes since);
 * - a JS-SDK ticket (corp or agent) only where one is already held: WeCom allows 100 an hour per app, so a ticket
 *   nobody asked for is never fetched.
 */
export function createWecomSweeper(options: WecomSweeperOptions): WecomSweeper {
  const { bridge, logger, stores } = options
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY)
  const refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS
  const listEveryMs = options.listEveryMs ?? DEFAULT_LIST_EVERY_MS
  const readTimeoutMs = options.readTimeoutMs ?? 500
  const now = options.now ?? Date.now
  const suites = new Set(options.suites)
  let corps: { at: number; bySuite: Map<string, Set<string>> } | undefined
  let stopped = false
  /** Suites last seen without a suite_ticket: warned once, not every tick, until one arrives. */
  const ticketless = new Set<string>()

  /** Held, live, and replaced when near its end: whether it is held now. A miss is fetched (awaited). */
  async function keepFresh<Key extends object>(kind: SweptKind<Key>, key: Key) {
    const record = await bridge.getRecord(kind.name as never, key as never)
    if (record === null) return false
    if (record.expiresAt !== null && record.expiresAt - now() < refreshBeforeMs) {
      const value = (record.value as Record<string, unknown>)[kind.credentialField as string]
      const fresh = await bridge.refresh(kind.name as never, key as never, {
        ...(typeof value === 'string' && value.length > 0 ? { ifValue: value } : {}),
      })
      return fresh !== null
    }
    return true
  }

  /**
   * A record kept only where one is held (a ticket): one raw tier read (never a fetch) says whether it is held
   * and how long it has left; only one near its end is read again, through the bridge, and replaced.
   */
  async function keepFreshIfHeld<Key extends object>(kind: SweptKind<Key>, key: Key): Promise<void> {
    const left = await lifeLeft(stores, kind.storageKey(key), readTimeoutMs)
    if (left !== undefined && left * 1000 < refreshBeforeMs) await keepFresh(kind, key)
  }

  async function corpsBySuite(): Promise<Map<string, Set<string>>> {
    if (corps === undefined || now() - corps.at >= listEveryMs)
      corps = {
        at: now(),
        bySuite: await authorisedCorps(stores, suites, (store, error) =>
          logger.warn({ tier: store.name, ...errorDetails(error) }, 'wecom sweep: a tier could not be walked'),
        ),
      }
    return corps.bySuite
  }

  async function sweepSuite(suiteId: string): Promise<void> {
    if ((await lifeLeft(stores, wecomSuiteTicket.storageKey({ suiteId }), readTimeoutMs)) === undefined) {
      if (!ticketless.has(suiteId))
        logger.warn(
          { suiteId },
          "wecom sweep: no suite_ticket held, so no suite token can be fetched: check the suite's command callback URL in the provider console",
        )
      ticketless.add(suiteId)
      return
    }
    if (ticketless.delete(suiteId)) logger.info({ suiteId }, 'wecom sweep: a suite_ticket is held again')
    await keepFresh(wecomSuiteToken, { suiteId })
  }

  async function appsOf(bySuite: Map<string, Set<string>>): Promise<CorpApp[]> {
    const apps = new Map<string, CorpApp>()
    for (const app of options.apps) apps.set(`${app.corpId}:${app.agentId}`, { ...app, owner: SELF_BUILT })
    const pairs = [...bySuite].flatMap(([suiteId, corpIds]) => [...corpIds].map((corpId) => ({ suiteId, corpId })))
    await pool(pairs, async ({ suiteId, corpId }) => {
      try {
        const code = await bridge.credential(wecomPermanentCode).get({ suiteId, corpId })
        for (const agentId of (code?.agent_ids ?? '').split(',').filter((id) => id.length > 0)) {
          const id = `${corpId}:${agentId}`
          if (!apps.has(id)) apps.set(id, { corpId, agentId, owner: suiteId })
        }
      } catch (error) {
        // Cancelled since the walk (E_PUSHED_MISSING): no longer a corp of the suite.
        if ((error as { code?: unknown }).code === 'E_PUSHED_MISSING') bySuite.get(suiteId)?.delete(corpId)
        else logger.warn({ suiteId, corpId, ...errorDetails(error) }, 'wecom sweep: a permanent code could not be read')
      }
    })
    return [...apps.values()]
  }

  async function sweepApp(app: CorpApp, counts: WecomCorpCounts): Promise<void> {
    const key = { corpId: app.corpId, agentId: app.agentId }
    try {
      if (!(await keepFresh(wecomCorpToken, key))) {
        counts.failed++
        return
      }
      counts.ok++
    } catch (error) {
      counts.failed++
      logger.debug({ ...key, owner: app.owner, ...errorDetails(error) }, 'wecom corp token refresh failed')
      return
    }
    // Tickets only where one is held: never a ticket call for an app that has not asked for one.
    for (const kind of [wecomJsapiTicket, wecomAgentTicket]) {
      try {
        await keepFreshIfHeld(kind, key)
      } catch (error) {
        logger.debug({ ...key, kind: kind.name, ...errorDetails(error) }, 'wecom ticket refresh failed')
      }
    }
  }

  /** `work` over `items`, at most `concurrency` at once. */
  async function pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0
    const worker = async () => {
      while (next < items.length && !stopped) await work(items[next++]!)
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  }

  return {
    async sweep() {
      if (options.providerCorpId !== undefined) {
        const key = { providerCorpId: options.providerCorpId }
        await keepFresh(wecomProviderToken, key).catch((error: unknown) =>
          logger.warn({ ...key, ...errorDetails(error) }, 'wecom sweep: the provider token could not be had'),
        )
      }
      for (const suiteId of suites) {
        if (stopped) return
        await sweepSuite(suiteId).catch((error: unknown) =>
          logger.warn({ suiteId, ...errorDetails(error) }, 'wecom sweep: the suite token could not be had'),
        )
      }
      const bySuite = await corpsBySuite()
      const apps = await appsOf(bySuite)
      const counts = new Map<string, WecomCorpCounts>(
        [SELF_BUILT, ...suites].map((owner) => [owner, { ok: 0, failed: 0 }]),
      )
      await pool(apps, (app) => sweepApp(app, counts.get(app.owner)!))
      if (stopped) return
      for (const [owner, found] of counts) {
        if (owner === SELF_BUILT && options.apps.length === 0) continue
        options.onSweep?.(owner, found)
        logger[found.failed > 0 ? 'warn' : 'debug']({ owner, ...found }, 'wecom sweep done')
      }
    },
    notePush(suiteId, corpId, action) {
      const known = corps?.bySuite.get(suiteId)
      if (known === undefined || corpId === undefined) return
      if (action === 'stored') known.add(corpId)
      if (action === 'removed') known.delete(corpId)
    },
    known: (suiteId) => corps?.bySuite.get(suiteId)?.size ?? 0,
    close() {
      stopped = true
    },
  }
}
