import { quoteValue, type CredentialBridge, type FetchResult, type ResolvedKey } from '@open-bridge/core'
import { WechatError } from '../errors.js'
import { storedLife } from '../options.js'
import { authorizerHome, authorizerRefreshToken, type AuthorizerHomeValue } from './kinds.js'
import type { OpenPlatformRuntime } from './open-platform-runtime.js'
import { peek } from './peek.js'

/**
 * The component that holds an authorised account, read through the bridge (durable; recovered from the components'
 * authorizer lists when lost). Throws `E_AUTHORIZER_UNKNOWN`, `E_AUTHORIZER_AMBIGUOUS` (authorised to two components
 * and `componentAppid` not given) or `E_AUTHORIZER_REAUTHORIZE`.
 */
export async function homeComponent(
  runtime: OpenPlatformRuntime,
  bridge: CredentialBridge,
  authorizerAppid: string,
  componentAppid?: string,
): Promise<string> {
  const home = await bridge.credential(authorizerHome).get({ authorizerAppid })
  if (home === null) {
    throw new WechatError(
      'E_AUTHORIZER_UNKNOWN',
      `appid ${quoteValue(authorizerAppid)} is neither configured in createBridge({ apps }) with a secret nor authorised to any of the components ${runtime.componentAppids.join(', ')}`,
      { appid: authorizerAppid, field: 'key.appid' },
    )
  }
  if (home.status === 'reauthorize') throw reauthorize(authorizerAppid, home)
  if (componentAppid !== undefined) {
    if (!home.componentAppids.includes(componentAppid)) {
      throw new WechatError(
        'E_AUTHORIZER_UNKNOWN',
        `appid ${quoteValue(authorizerAppid)} is not authorised to component ${quoteValue(componentAppid)}`,
        { appid: authorizerAppid, field: 'componentAppid' },
      )
    }
    return componentAppid
  }
  if (home.componentAppids.length > 1) {
    throw new WechatError(
      'E_AUTHORIZER_AMBIGUOUS',
      `appid ${quoteValue(authorizerAppid)} is authorised to ${home.componentAppids.length} of this deployment's components (${home.componentAppids.join(', ')}): read it with authorizerAccessToken(bridge, { componentAppid, authorizerAppid, platform })`,
      { appid: authorizerAppid, field: 'componentAppid' },
    )
  }
  return home.componentAppid
}

function reauthorize(authorizerAppid: string, home: AuthorizerHomeValue): WechatError {
  return new WechatError(
    'E_AUTHORIZER_REAUTHORIZE',
    `appid ${quoteValue(authorizerAppid)} must authorise component ${home.componentAppid} again: the platform refused its refresh token (61023) and listed no other`,
    { appid: authorizerAppid },
  )
}

/**
 * An authorised account's access token, through `api_authorizer_token` with the refresh token its home component
 * holds (read through the bridge: a lost one is recovered from `api_get_authorizer_list`) and the component token
 * (also through the bridge: each under its own lock). The refresh token the platform returns is always stored.
 * On 61023 the list is asked once for another refresh token; without one, the account is marked `reauthorize`
 * (an event; no further call is made for it) and the 61023 is thrown.
 */
export async function fetchAuthorizerToken(
  runtime: OpenPlatformRuntime,
  bridge: CredentialBridge,
  key: Pick<ResolvedKey, 'appid' | 'platform'>,
  componentAppid?: string,
): Promise<FetchResult<'access_token'>> {
  const authorizerAppid = key.appid
  const home = await homeComponent(runtime, bridge, authorizerAppid, componentAppid)
  const api = runtime.api(home)
  const refreshHandle = bridge.credential(authorizerRefreshToken)
  const refreshKey = { componentAppid: home, authorizerAppid }
  const stored = await refreshHandle.get(refreshKey)
  if (stored === null) {
    throw new WechatError(
      'E_AUTHORIZER_UNKNOWN',
      `component ${home} holds no refresh token for appid ${quoteValue(authorizerAppid)} and api_get_authorizer_list does not list it: it must authorise again`,
      { appid: authorizerAppid },
    )
  }
  const attempt = (refreshToken: string) =>
    runtime.withComponentToken(bridge, home, (token) => api.authorizerToken(token, authorizerAppid, refreshToken))
  let refreshToken = stored.authorizer_refresh_token
  let result: Awaited<ReturnType<typeof attempt>>
  try {
    try {
      result = await attempt(refreshToken)
    } catch (error) {
      if ((error as { errcode?: unknown }).errcode !== 61023) throw error
      // Refused: perhaps replaced elsewhere and lost here. The platform's list is the truth; ask it once.
      const listed = (await runtime.authorizerList(bridge, home, true)).get(authorizerAppid)
      if (listed === undefined || listed.refreshToken === refreshToken) {
        await markReauthorize(bridge, authorizerAppid)
        runtime.events.emit({ type: 'reauthorization-needed', componentAppid: home, authorizerAppid, errcode: 61023 })
        throw error
      }
      runtime.events.emit({ type: 'refresh-token-recovered', componentAppid: home, authorizerAppid })
      refreshToken = listed.refreshToken
      await refreshHandle.set(refreshKey, { authorizer_refresh_token: refreshToken })
      result = await attempt(refreshToken)
    }
  } catch (error) {
    const e = error as { code?: unknown; errcode?: unknown }
    runtime.events.emit({
      type: 'authorizer-refresh-failed',
      componentAppid: home,
      authorizerAppid,
      code: typeof e.code === 'string' ? e.code : 'E_UNKNOWN',
      ...(typeof e.errcode === 'number' ? { errcode: e.errcode } : {}),
    })
    throw error
  }
  if (result.authorizerRefreshToken !== refreshToken)
    await refreshHandle.set(refreshKey, { authorizer_refresh_token: result.authorizerRefreshToken })
  await notePlatform(bridge, authorizerAppid, key.platform)
  runtime.events.emit({ type: 'authorizer-refreshed', componentAppid: home, authorizerAppid })
  return {
    value: { access_token: result.authorizerAccessToken },
    expiresIn: storedLife(result.expiresIn, runtime.expiryMarginSeconds),
  }
}

/**
 * Records the platform the account's token is read under in its home (only when it changes: one write in the
 * account's life), so the authorizer sweeper refreshes that copy — a mini program under `weixin-mp`.
 */
async function notePlatform(bridge: CredentialBridge, authorizerAppid: string, platform: string): Promise<void> {
  if (platform !== 'weixin-h5' && platform !== 'weixin-mp') return
  const home = await peek(bridge, authorizerHome, { authorizerAppid })
  if (home !== null && home.platform !== platform)
    await bridge.credential(authorizerHome).set({ authorizerAppid }, { ...home, platform })
}

/** Marks the account as needing a new authorisation (durable), so no call is made for it until it authorises. */
async function markReauthorize(bridge: CredentialBridge, authorizerAppid: string): Promise<void> {
  const home = await peek(bridge, authorizerHome, { authorizerAppid })
  if (home !== null)
    await bridge.credential(authorizerHome).set({ authorizerAppid }, { ...home, status: 'reauthorize' })
}
