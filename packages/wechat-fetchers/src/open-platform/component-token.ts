import type { CredentialBridge, KindFetchResult, ResolvedKindKey } from '@open-bridge/core'
import { WechatError } from '../errors.js'
import { storedLife } from '../options.js'
import { COMPONENT_TICKET_LIFE_SECONDS, componentVerifyTicket, type ComponentAccessTokenValue } from './kinds.js'
import type { OpenPlatformRuntime } from './open-platform-runtime.js'

/** A ticket and when it was pushed (Unix seconds). */
interface HeldTicket {
  ticket: string
  createTime: number
}

/** The ticket's age in seconds now (a push stamped in the future counts as new). */
export function ticketAge(createTime: number, now = Date.now()): number {
  return Math.max(0, now / 1000 - createTime)
}

/** Is a ticket pushed at `createTime` still accepted by the platform (younger than 12 h)? */
export function isTicketUsable(createTime: number, now = Date.now()): boolean {
  return Number.isFinite(createTime) && ticketAge(createTime, now) < COMPONENT_TICKET_LIFE_SECONDS
}

/**
 * `api_component_token` with the newest pushed ticket; on 61005 / 61006 the previous one is tried while it is within
 * 12 h of its push. A ticket older than 12 h is never sent. The ticket is read through the bridge (a pushed kind: a
 * miss is core's `E_PUSHED_MISSING`, which says what to check).
 */
export async function fetchComponentToken(
  runtime: OpenPlatformRuntime,
  key: ResolvedKindKey,
  bridge: CredentialBridge,
): Promise<KindFetchResult<ComponentAccessTokenValue>> {
  const componentAppid = key.componentAppid as string
  const api = runtime.api(componentAppid)
  const held = await bridge.credential(componentVerifyTicket).get({ componentAppid })
  const now = Date.now()
  const candidates: HeldTicket[] = []
  if (held !== null) {
    if (isTicketUsable(held.createTime, now)) candidates.push({ ticket: held.ticket, createTime: held.createTime })
    if (
      typeof held.previousTicket === 'string' &&
      typeof held.previousCreateTime === 'number' &&
      isTicketUsable(held.previousCreateTime, now)
    ) {
      candidates.push({ ticket: held.previousTicket, createTime: held.previousCreateTime })
    }
  }
  if (candidates.length === 0) {
    const age = held === null ? undefined : Math.round(ticketAge(held.createTime, now) / 60)
    throw new WechatError(
      'E_COMPONENT_TICKET_EXPIRED',
      `component ${componentAppid} holds no component_verify_ticket younger than 12 h${
        age === undefined ? '' : ` (the newest was pushed ${age} min ago)`
      }: pushes have stopped reaching the authorisation event URL; check it, then call startPushTicket()`,
      { appid: componentAppid },
    )
  }
  let lastError: unknown
  for (const [i, candidate] of candidates.entries()) {
    try {
      const token = await api.componentToken(candidate.ticket)
      return {
        value: { component_access_token: token.componentAccessToken },
        expiresIn: storedLife(token.expiresIn, runtime.expiryMarginSeconds),
      }
    } catch (error) {
      const errcode = (error as { errcode?: unknown }).errcode
      if ((errcode !== 61005 && errcode !== 61006) || i === candidates.length - 1) throw error
      lastError = error
      runtime.events.emit({ type: 'ticket-fallback', componentAppid, errcode })
    }
  }
  throw lastError
}
