import { isPlainObject, type AccessTokenValue, type CredentialBridge } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'
import { AUTHORIZER_PLATFORMS, type AuthorizerPlatform } from './authorization-store.js'
import { fetchAuthorizerToken } from './authorizer-token.js'
import { queryAndStoreAuthorization } from './component-push.js'
import { ticketAge } from './component-token.js'
import { authorizerHome, authorizerRefreshToken, componentVerifyTicket, type AuthorizerHomeValue } from './kinds.js'
import type { OpenPlatformListener } from './open-platform-events.js'
import { runtimeOf } from './runtime-of.js'
import { peek } from './peek.js'

/**
 * The authorisation page to send an account's administrator to, with a fresh pre-auth code (from a component token
 * read through the bridge). The platform redirects back to `redirectUri` with `auth_code`: pass it to
 * `exchangeAuthorizationCode`.
 */
export async function authorizationPageUrl(
  bridge: CredentialBridge,
  input: { componentAppid: string; redirectUri: string; authType?: 1 | 2 | 3 },
): Promise<string> {
  const runtime = runtimeOf(bridge)
  if (!isPlainObject(input)) throw invalidArgument('input', 'must be { componentAppid, redirectUri }')
  const api = runtime.api(input.componentAppid)
  // Checked before a pre-auth code is spent on it.
  api.authorizationPageUrl({
    preAuthCode: 'check',
    redirectUri: input.redirectUri,
    ...(input.authType ? { authType: input.authType } : {}),
  })
  const { preAuthCode } = await runtime.withComponentToken(bridge, input.componentAppid, (token) =>
    api.createPreAuthCode(token),
  )
  return api.authorizationPageUrl({
    preAuthCode,
    redirectUri: input.redirectUri,
    ...(input.authType ? { authType: input.authType } : {}),
  })
}

/**
 * Exchanges the `auth_code` the authorisation page redirected back with (`api_query_auth`, at once: it is single
 * use) and stores the account's token, refresh token and home. Resolves the account's appid and permission sets.
 */
export async function exchangeAuthorizationCode(
  bridge: CredentialBridge,
  input: { componentAppid: string; authorizationCode: string; platform?: AuthorizerPlatform },
): Promise<{ authorizerAppid: string }> {
  const runtime = runtimeOf(bridge)
  if (!isPlainObject(input)) throw invalidArgument('input', 'must be { componentAppid, authorizationCode }')
  runtime.api(input.componentAppid)
  if (typeof input.authorizationCode !== 'string' || input.authorizationCode === '')
    throw invalidArgument('authorizationCode', 'must be a non-empty string')
  if (input.platform !== undefined && !AUTHORIZER_PLATFORMS.includes(input.platform))
    throw invalidArgument('platform', `must be one of ${AUTHORIZER_PLATFORMS.join(', ')}`)
  const outcome = await queryAndStoreAuthorization(
    runtime,
    bridge,
    input.componentAppid,
    input.authorizationCode,
    undefined,
    input.platform,
  )
  return { authorizerAppid: outcome.authorizerAppid! }
}

/**
 * An authorised account's access token through a named component: for an account authorised to two of the
 * deployment's components (`getAccessToken` without one is `E_AUTHORIZER_AMBIGUOUS`). Same storage key, tiers and
 * lock as `bridge.getAccessToken({ appid, platform })`.
 */
export function authorizerAccessToken(
  bridge: CredentialBridge,
  key: { componentAppid: string; authorizerAppid: string; platform: AuthorizerPlatform },
): Promise<AccessTokenValue | null> {
  const runtime = runtimeOf(bridge)
  if (!isPlainObject(key)) throw invalidArgument('key', 'must be { componentAppid, authorizerAppid, platform }')
  runtime.api(key.componentAppid, 'key.componentAppid')
  return bridge.getAccessToken({ appid: key.authorizerAppid, platform: key.platform }, async () => {
    const { value, expiresIn } = await fetchAuthorizerToken(
      runtime,
      bridge,
      { appid: key.authorizerAppid, platform: key.platform },
      key.componentAppid,
    )
    return { value, duration: expiresIn }
  })
}

/** The accounts authorised to the component, as the platform lists them now (`api_get_authorizer_list`, every page). */
export async function listAuthorizers(
  bridge: CredentialBridge,
  componentAppid: string,
): Promise<{ authorizerAppid: string; authTime: number }[]> {
  const runtime = runtimeOf(bridge)
  const list = await runtime.authorizerList(bridge, componentAppid, true)
  return [...list.values()].map(({ authorizerAppid, authTime }) => ({ authorizerAppid, authTime }))
}

/**
 * Rebuilds every account's refresh token and home from `api_get_authorizer_list`: a refresh token missing or
 * different in the tiers is written (durably), a home missing this component gets it. Resolves the counts.
 */
export async function rebuildAuthorizers(
  bridge: CredentialBridge,
  componentAppid: string,
  options: { concurrency?: number } = {},
): Promise<{ total: number; written: number; unchanged: number }> {
  const runtime = runtimeOf(bridge)
  const concurrency = options.concurrency ?? 16
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw invalidArgument('options.concurrency', 'must be an integer ≥ 1')
  const entries = [...(await runtime.authorizerList(bridge, componentAppid, true)).values()]
  const refresh = bridge.credential(authorizerRefreshToken)
  const homes = bridge.credential(authorizerHome)
  let written = 0
  let next = 0
  const worker = async () => {
    while (next < entries.length) {
      const entry = entries[next++]!
      const key = { componentAppid, authorizerAppid: entry.authorizerAppid }
      const stored = await peek(bridge, authorizerRefreshToken, key)
      let changed = false
      if (stored?.authorizer_refresh_token !== entry.refreshToken) {
        await refresh.set(key, { authorizer_refresh_token: entry.refreshToken })
        changed = true
      }
      const home = await peek(bridge, authorizerHome, { authorizerAppid: entry.authorizerAppid })
      if (home === null || !home.componentAppids.includes(componentAppid)) {
        const holders = home === null ? [] : home.componentAppids
        const value: AuthorizerHomeValue = {
          componentAppid: home?.componentAppid ?? componentAppid,
          componentAppids: [...holders, componentAppid],
          status: home?.status ?? 'authorized',
        }
        await homes.set({ authorizerAppid: entry.authorizerAppid }, value)
        changed = true
      }
      if (changed) written++
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker))
  return { total: entries.length, written, unchanged: entries.length - written }
}

/** Which components hold the account and whether it can be served, as the tiers hold it; `null` when they hold none. */
export async function authorizerState(
  bridge: CredentialBridge,
  authorizerAppid: string,
): Promise<AuthorizerHomeValue | null> {
  runtimeOf(bridge)
  if (typeof authorizerAppid !== 'string' || authorizerAppid === '')
    throw invalidArgument('authorizerAppid', 'must be a non-empty string')
  return peek(bridge, authorizerHome, { authorizerAppid })
}

/** Seconds since the newest verify ticket held was pushed (its `CreateTime`), or `null` when none is held. */
export async function componentTicketAge(bridge: CredentialBridge, componentAppid: string): Promise<number | null> {
  runtimeOf(bridge).api(componentAppid)
  try {
    const held = await bridge.credential(componentVerifyTicket).get({ componentAppid })
    return held === null ? null : Math.round(ticketAge(held.createTime))
  } catch (error) {
    if ((error as { code?: unknown }).code === 'E_PUSHED_MISSING') return null
    throw error
  }
}

/** Asks WeChat to resume pushing the component's verify tickets (`api_start_push_ticket`). */
export async function startPushTicket(bridge: CredentialBridge, componentAppid: string): Promise<void> {
  await runtimeOf(bridge).api(componentAppid).startPushTicket()
}

/** Subscribes to the Open Platform family's events of the bridge's source; returns the function that unsubscribes. */
export function onOpenPlatformEvent(bridge: CredentialBridge, listener: OpenPlatformListener): () => void {
  if (typeof listener !== 'function') throw invalidArgument('listener', 'must be a function')
  return runtimeOf(bridge).events.on(listener)
}
