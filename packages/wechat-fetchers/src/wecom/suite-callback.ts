import type { CredentialBridge } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import { messageCrypto, type DecryptedPush, type MessageCryptoOptions, type PushQuery } from '../push/message-crypto.js'
import {
  exchangeAuthCode,
  removeAuthorization,
  suiteRuntimeOf,
  syncAgents,
  type SuiteAgentsChange,
} from './suite-authorization.js'
import { wecomSuiteTicket } from './wecom-kinds.js'
import type { WecomSuiteRuntime } from './wecom-source.js'

/** How many applied pushes `suiteCallback` remembers, to answer a retried one without applying it again. */
const APPLIED_KEPT = 1000

/** The suite_ticket's life on WeCom's side: one pushed longer ago than this is never stored nor sent. */
export const SUITE_TICKET_LIFE_SECONDS = 1800

export interface SuiteCallbackOptions {
  /** The suite whose command callback URL this is (the receive id in every message). */
  suiteId: string
  /** The callback Token set for the suite: only ever hashed. */
  token: string
  /** The callback EncodingAESKey set for the suite (43 characters). */
  encodingAESKey: string
  /**
   * The `wecomSource()` that holds the suite's secret (for `get_permanent_code`). Default: the bridge's source,
   * when it is one (a `combineSources(…)` bridge must name it).
   */
  source?: unknown
  /** Passed to `messageCrypto`. Default 300. */
  timestampToleranceSeconds?: MessageCryptoOptions['timestampToleranceSeconds']
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number
}

/** What a push did. Never holds a ticket, an auth code or a permanent code. */
export interface SuiteEventOutcome {
  /** The push's `InfoType` (`suite_ticket`, `create_auth`, …). */
  infoType: string
  /** The corp the push was about, when it names one (after `create_auth`: the corp that authorised). */
  corpId?: string
  /**
   * `stored`: the ticket or the permanent code is stored; `removed`: the corp's credentials are gone; `refreshed`:
   * its authorisation re-read with `get_auth_info`, its agents brought up to date and their cached tokens and tickets
   * dropped (`change_auth`); `stale`: a suite_ticket older than its 30 minutes (or
   * than the one stored) was ignored; `ignored`: an InfoType this does not handle.
   */
  action: 'stored' | 'removed' | 'refreshed' | 'stale' | 'ignored'
  /** After `create_auth`, `reset_permanent_code` and `change_auth`: the corp's agents now, and which came or went. */
  agents?: SuiteAgentsChange
}

/**
 * A suite's command callback URL (指令回调URL), for a route to call: `verifyUrl` answers WeCom's `GET` check (the
 * text to send back), `handle` verifies, decrypts and applies a `POST`ed push — answer `success` once it resolves,
 * a 4xx when it throws `E_PUSH_*` (nothing stored), a 5xx otherwise (WeCom pushes again). WeCom's `msg_signature`,
 * checked on both, is the route's only authentication.
 */
export interface SuiteCallback {
  readonly suiteId: string
  verifyUrl(query: PushQuery): string
  handle(query: PushQuery, body: string | Uint8Array): Promise<SuiteEventOutcome>
}

export function suiteCallback(bridge: CredentialBridge, options: SuiteCallbackOptions): SuiteCallback {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object')
  const { suiteId, token, encodingAESKey, source, timestampToleranceSeconds, now = Date.now } = options
  const crypto = messageCrypto({
    token,
    encodingAESKey,
    receiveId: suiteId,
    ...(timestampToleranceSeconds === undefined ? {} : { timestampToleranceSeconds }),
    now,
  })
  const runtime = suiteRuntimeOf(bridge, source)
  /** The outcomes of the pushes applied last, by push id (oldest first). */
  const applied = new Map<string, SuiteEventOutcome>()
  return Object.freeze({
    suiteId,
    verifyUrl: (query: PushQuery) => crypto.verifyUrl(query),
    async handle(query: PushQuery, body: string | Uint8Array) {
      const push = crypto.decryptPush(query, body)
      // A byte-identical push (WeCom's retry after a lost answer) is applied once: a create_auth's auth code is
      // single-use, so applying it again would fail and WeCom would keep retrying.
      const done = applied.get(push.id)
      if (done !== undefined) return done
      const outcome = await apply(bridge, runtime, suiteId, push, now)
      applied.set(push.id, outcome)
      if (applied.size > APPLIED_KEPT) applied.delete(applied.keys().next().value!)
      return outcome
    },
  })
}

/** What `applySuiteEvent` needs besides the push. */
export interface SuiteEventOptions {
  suiteId: string
  /** The `wecomSource()` holding the suite's secret. Default: the bridge's source, when it is one. */
  source?: unknown
  now?: () => number
}

/**
 * Applies one decrypted suite push: `suite_ticket` stored with the life it has left (the newest wins; one older
 * than 30 minutes is ignored); `create_auth` / `reset_permanent_code` exchanged at once (`get_permanent_code`) and
 * the permanent code stored durably with the corp's agents (v2: read with `get_auth_info`); `change_auth` re-reads
 * the authorisation (`get_auth_info`) and brings the agents up to date; `cancel_auth` removes every credential of
 * the corp for this suite.
 */
export function applySuiteEvent(
  bridge: CredentialBridge,
  push: DecryptedPush,
  options: SuiteEventOptions,
): Promise<SuiteEventOutcome> {
  if (typeof options !== 'object' || options === null || typeof options.suiteId !== 'string')
    return Promise.reject(invalidArgument('options.suiteId', 'must be the suite id'))
  let runtime: WecomSuiteRuntime
  try {
    runtime = suiteRuntimeOf(bridge, options.source)
  } catch (error) {
    return Promise.reject(error)
  }
  return apply(bridge, runtime, options.suiteId, push, options.now ?? Date.now)
}

async function apply(
  bridge: CredentialBridge,
  runtime: WecomSuiteRuntime,
  suiteId: string,
  push: DecryptedPush,
  now: () => number,
): Promise<SuiteEventOutcome> {
  const { fields } = push
  const infoType = fields.InfoType ?? ''
  if (fields.SuiteId !== undefined && fields.SuiteId !== suiteId) {
    throw new WechatError('E_PUSH_RECEIVE_ID', `a push for suite ${suiteId} names another SuiteId`, {
      field: 'SuiteId',
    })
  }
  switch (infoType) {
    case 'suite_ticket':
      return storeTicket(bridge, suiteId, fields, now)
    case 'create_auth':
    case 'reset_permanent_code': {
      const code = required(fields.AuthCode, 'AuthCode', infoType)
      const { corpId, change } = await exchangeAuthCode(bridge, runtime, suiteId, code)
      return { infoType, corpId, action: 'stored', agents: change }
    }
    case 'change_auth': {
      // WeCom's "变更授权通知" (developer.work.weixin.qq.com/document/path/90642): the provider is to call
      // get_auth_info itself and compare — agents added or removed, permissions changed.
      const corpId = required(fields.AuthCorpId, 'AuthCorpId', infoType)
      const change = await syncAgents(bridge, runtime, suiteId, corpId)
      return { infoType, corpId, action: 'refreshed', agents: change }
    }
    case 'cancel_auth': {
      const corpId = required(fields.AuthCorpId, 'AuthCorpId', infoType)
      await removeAuthorization(bridge, suiteId, corpId)
      return { infoType, corpId, action: 'removed' }
    }
    default:
      return { infoType, action: 'ignored' }
  }
}

async function storeTicket(
  bridge: CredentialBridge,
  suiteId: string,
  fields: Readonly<Record<string, string>>,
  now: () => number,
): Promise<SuiteEventOutcome> {
  const infoType = 'suite_ticket'
  const ticket = required(fields.SuiteTicket, 'SuiteTicket', infoType)
  const createdAt = Number(fields.TimeStamp)
  const ageSeconds = Number.isSafeInteger(createdAt) ? Math.max(0, now() / 1000 - createdAt) : 0
  const left = Math.floor(SUITE_TICKET_LIFE_SECONDS - ageSeconds)
  if (left <= 0) return { infoType, action: 'stale' }
  const handle = bridge.credential(wecomSuiteTicket)
  const current = await handle.get({ suiteId }).catch(() => null)
  // Pushes may arrive out of order (a retry of an older one): the newest always wins.
  if (current !== null && Number(current.created_at) > createdAt) return { infoType, action: 'stale' }
  await handle.set({ suiteId }, { suite_ticket: ticket, created_at: String(createdAt) }, left)
  return { infoType, action: 'stored' }
}

function required(value: string | undefined, field: string, infoType: string): string {
  if (value === undefined || value.length === 0) {
    throw new WechatError('E_PUSH_XML', `a ${infoType} push without ${field}`, { field })
  }
  return value
}
