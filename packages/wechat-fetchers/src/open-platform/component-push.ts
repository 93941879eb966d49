import { isPlainObject, quoteValue, type CredentialBridge } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import {
  AUTHORIZER_PLATFORMS,
  removeAuthorization,
  storeAuthorization,
  type AuthorizerPlatform,
} from './authorization-store.js'
import { isTicketUsable } from './component-token.js'
import {
  authorizerHome,
  COMPONENT_TICKET_LIFE_SECONDS,
  componentVerifyTicket,
  type ComponentVerifyTicketValue,
} from './kinds.js'
import type { OpenPlatformRuntime } from './open-platform-runtime.js'
import { peek } from './peek.js'
import { runtimeOf } from './runtime-of.js'

/** What `applyComponentPush` did with a push. */
export interface ComponentPushOutcome {
  /** The push's `InfoType`. */
  infoType: string
  componentAppid: string
  authorizerAppid?: string
  action: 'ticket-stored' | 'ticket-duplicate' | 'ticket-stale' | 'authorized' | 'unauthorized' | 'ignored'
  /** An authorisation push whose code was already spent, for an account already stored: nothing changed. */
  duplicate?: boolean
}

export interface ApplyPushOptions {
  /** The component the push was received for (the route's): it must be the one the decrypted message names. */
  componentAppid?: string
  /** Under which platform to store an authorised account's first token; default both (see the README). */
  platform?: AuthorizerPlatform
}

/**
 * Applies a decrypted push of a component's authorisation event URL (`messageCrypto(…).decrypt(…)` gives one) to the
 * bridge. `component_verify_ticket` → stored, the previous one kept; `authorized` / `updateauthorized` /
 * `notify_third_fasteregister` (status 0) → `api_query_auth` at once, the account's token, refresh token and home
 * stored; `unauthorized` → the account's credentials removed. Pushes arrive twice and out of order: applying one
 * again changes nothing. Other InfoTypes resolve `ignored`. Answer the platform `success` once this resolves.
 */
export async function applyComponentPush(
  bridge: CredentialBridge,
  push: { readonly fields: Readonly<Record<string, string>> },
  options: ApplyPushOptions = {},
): Promise<ComponentPushOutcome> {
  const runtime = runtimeOf(bridge)
  if (!isPlainObject(options)) throw invalidArgument('options', 'must be an object')
  const { componentAppid: expected, platform } = options as ApplyPushOptions
  const fields = (push as { fields?: unknown } | null)?.fields
  if (typeof fields !== 'object' || fields === null)
    throw invalidArgument('push.fields', 'must be the decrypted fields')
  const f = fields as Readonly<Record<string, unknown>>
  const componentAppid = f.AppId
  if (expected !== undefined && componentAppid !== expected) {
    throw new WechatError(
      'E_UNKNOWN_COMPONENT',
      `the push names component ${quoteValue(componentAppid)}, not ${quoteValue(expected)} it was received for`,
      { field: 'push.fields.AppId' },
    )
  }
  runtime.api(componentAppid, 'push.fields.AppId')
  const component = componentAppid as string
  if (platform !== undefined && !AUTHORIZER_PLATFORMS.includes(platform))
    throw invalidArgument('options.platform', `must be one of ${AUTHORIZER_PLATFORMS.join(', ')}`)
  const infoType = typeof f.InfoType === 'string' ? f.InfoType : ''
  const base = { infoType, componentAppid: component }
  switch (infoType) {
    case 'component_verify_ticket':
      return { ...base, action: await storeTicket(runtime, bridge, component, f) }
    case 'authorized':
    case 'updateauthorized': {
      const authorizerAppid = text(f.AuthorizerAppid, 'push.fields.AuthorizerAppid')
      const code = text(f.AuthorizationCode, 'push.fields.AuthorizationCode')
      return {
        ...base,
        ...(await queryAndStoreAuthorization(runtime, bridge, component, code, authorizerAppid, platform)),
      }
    }
    case 'notify_third_fasteregister': {
      // Fast-registered mini programs: status 0 is success, and auth_code authorises it to this component.
      if (f.status !== '0' || typeof f.auth_code !== 'string' || f.auth_code === '')
        return { ...base, action: 'ignored' }
      const authorizerAppid = typeof f.appid === 'string' && f.appid !== '' ? f.appid : undefined
      return {
        ...base,
        ...(await queryAndStoreAuthorization(
          runtime,
          bridge,
          component,
          f.auth_code,
          authorizerAppid,
          platform ?? 'weixin-mp',
        )),
      }
    }
    case 'unauthorized': {
      const authorizerAppid = text(f.AuthorizerAppid, 'push.fields.AuthorizerAppid')
      await removeAuthorization(runtime, bridge, component, authorizerAppid)
      return { ...base, authorizerAppid, action: 'unauthorized' }
    }
    default:
      return { ...base, action: 'ignored' }
  }
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalidArgument(field, 'must be a non-empty string')
  return value
}

/** The push's ticket, kept with the one before it; a duplicate or an older push changes nothing. */
async function storeTicket(
  runtime: OpenPlatformRuntime,
  bridge: CredentialBridge,
  componentAppid: string,
  f: Readonly<Record<string, unknown>>,
): Promise<ComponentPushOutcome['action']> {
  const ticket = text(f.ComponentVerifyTicket, 'push.fields.ComponentVerifyTicket')
  const stamped = Number(f.CreateTime)
  const now = Date.now()
  const createTime = Number.isSafeInteger(stamped) && stamped > 0 ? stamped : Math.floor(now / 1000)
  const handle = bridge.credential(componentVerifyTicket)
  const key = { componentAppid }
  const held = await handle.get(key).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'E_PUSHED_MISSING') return null
    throw error
  })
  if (held !== null && (held.ticket === ticket || held.previousTicket === ticket)) {
    runtime.events.emit({ type: 'ticket-stored', componentAppid, createTime, duplicate: true })
    return 'ticket-duplicate'
  }
  if (!isTicketUsable(createTime, now) || (held !== null && createTime < held.createTime)) return 'ticket-stale'
  const value: ComponentVerifyTicketValue = { ticket, createTime }
  if (held !== null && isTicketUsable(held.createTime, now)) {
    value.previousTicket = held.ticket
    value.previousCreateTime = held.createTime
  }
  const left = Math.max(1, Math.floor(COMPONENT_TICKET_LIFE_SECONDS - Math.max(0, now / 1000 - createTime)))
  await handle.set(key, value, left)
  runtime.events.emit({ type: 'ticket-stored', componentAppid, createTime, duplicate: false })
  return 'ticket-stored'
}

/**
 * `api_query_auth` for an authorisation code, and the result stored. A code already spent (a duplicate push) for an
 * account this component already holds is a duplicate, not a failure.
 */
export async function queryAndStoreAuthorization(
  runtime: OpenPlatformRuntime,
  bridge: CredentialBridge,
  componentAppid: string,
  code: string,
  authorizerAppid: string | undefined,
  platform: AuthorizerPlatform | undefined,
): Promise<Pick<ComponentPushOutcome, 'action' | 'authorizerAppid' | 'duplicate'>> {
  const api = runtime.api(componentAppid)
  let info: Awaited<ReturnType<typeof api.queryAuth>>
  try {
    info = await runtime.withComponentToken(bridge, componentAppid, (token) => api.queryAuth(token, code))
  } catch (error) {
    if (authorizerAppid !== undefined && (error as { code?: unknown }).code === 'E_PLATFORM_API') {
      const home = await peek(bridge, authorizerHome, { authorizerAppid })
      if (home !== null && home.status === 'authorized' && home.componentAppids.includes(componentAppid))
        return { action: 'authorized', authorizerAppid, duplicate: true }
    }
    throw error
  }
  await storeAuthorization(runtime, bridge, componentAppid, info, platform)
  return { action: 'authorized', authorizerAppid: info.authorizerAppid }
}
