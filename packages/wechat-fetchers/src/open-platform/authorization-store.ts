import type { CredentialBridge, Platform } from '@open-bridge/core'
import { storedLife } from '../options.js'
import type { AuthorizationInfo } from './component-api.js'
import { authorizerHome, authorizerRefreshToken, type AuthorizerHomeValue } from './kinds.js'
import type { OpenPlatformRuntime } from './open-platform-runtime.js'
import { peek } from './peek.js'

/** The platforms an authorised account is read under: an official account (`weixin-h5`) or a mini program (`weixin-mp`). */
export type AuthorizerPlatform = Extract<Platform, 'weixin-h5' | 'weixin-mp'>
export const AUTHORIZER_PLATFORMS: readonly AuthorizerPlatform[] = ['weixin-h5', 'weixin-mp']

/**
 * Stores what `api_query_auth` returned: the refresh token (durable), the account's home (this component added to
 * the ones holding it; a `reauthorize` mark cleared) and its access token — under `platform`, or under both
 * authorizer platforms when it is not known (the copy never read is never refreshed: harmless).
 */
export async function storeAuthorization(
  runtime: OpenPlatformRuntime,
  bridge: CredentialBridge,
  componentAppid: string,
  info: AuthorizationInfo,
  platform: AuthorizerPlatform | undefined,
): Promise<void> {
  const authorizerAppid = info.authorizerAppid
  await bridge
    .credential(authorizerRefreshToken)
    .set({ componentAppid, authorizerAppid }, { authorizer_refresh_token: info.authorizerRefreshToken })
  const homes = bridge.credential(authorizerHome)
  const current = await peek(bridge, authorizerHome, { authorizerAppid })
  const holders = current === null ? [] : current.componentAppids.filter((appid) => appid !== componentAppid)
  const home: AuthorizerHomeValue = {
    componentAppid:
      current !== null && current.status === 'authorized' && holders.includes(current.componentAppid)
        ? current.componentAppid
        : componentAppid,
    componentAppids: [...holders, componentAppid],
    status: 'authorized',
  }
  const known = platform ?? current?.platform
  if (known !== undefined) home.platform = known
  await homes.set({ authorizerAppid }, home)
  const life = storedLife(info.expiresIn, runtime.expiryMarginSeconds)
  for (const p of platform === undefined ? AUTHORIZER_PLATFORMS : [platform]) {
    await bridge.setAccessToken(
      { appid: authorizerAppid, platform: p },
      { access_token: info.authorizerAccessToken },
      life,
    )
  }
  runtime.forgetScans(componentAppid)
  runtime.events.emit({ type: 'authorized', componentAppid, authorizerAppid })
}

/**
 * The account withdrew from `componentAppid`: its refresh token there is removed; when no other of the deployment's
 * components holds it, its home, access tokens and JS-SDK tickets go too. Removing what is not there is harmless.
 */
export async function removeAuthorization(
  runtime: OpenPlatformRuntime,
  bridge: CredentialBridge,
  componentAppid: string,
  authorizerAppid: string,
): Promise<void> {
  await bridge.credential(authorizerRefreshToken).remove({ componentAppid, authorizerAppid })
  const homes = bridge.credential(authorizerHome)
  const current = await peek(bridge, authorizerHome, { authorizerAppid })
  const others = current === null ? [] : current.componentAppids.filter((appid) => appid !== componentAppid)
  if (current !== null && others.length > 0) {
    await homes.set(
      { authorizerAppid },
      {
        componentAppid: others.includes(current.componentAppid) ? current.componentAppid : others[0]!,
        componentAppids: others,
        status: current.status,
      },
    )
  } else {
    await homes.remove({ authorizerAppid })
    for (const platform of AUTHORIZER_PLATFORMS) {
      await bridge.removeAccessToken({ appid: authorizerAppid, platform })
    }
    await bridge.removeTicket({ appid: authorizerAppid, platform: 'weixin-h5' })
    await bridge.removeTicket({ appid: authorizerAppid, platform: 'weixin-h5', ticketType: 'wx_card' })
  }
  runtime.forgetScans(componentAppid)
  runtime.events.emit({ type: 'unauthorized', componentAppid, authorizerAppid })
}
