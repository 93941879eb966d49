import type { CredentialBridge, KindFetchResult, ResolvedKindKey } from '@open-bridge/core'
import { componentVerifyTicket, type AuthorizerHomeValue, type AuthorizerRefreshTokenValue } from './kinds.js'
import { peek } from './peek.js'
import type { OpenPlatformRuntime } from './open-platform-runtime.js'

/**
 * A refresh token missing from every tier (a Redis restarted without persistence, a tier lost): recovered from
 * `api_get_authorizer_list` before anything fails. One scan answers every account missing at the same time.
 * `null` when the platform does not list the account (it is not, or no longer, authorised).
 */
export async function recoverRefreshToken(
  runtime: OpenPlatformRuntime,
  key: ResolvedKindKey,
  bridge: CredentialBridge,
): Promise<KindFetchResult<AuthorizerRefreshTokenValue> | null> {
  const componentAppid = key.componentAppid as string
  const authorizerAppid = key.authorizerAppid as string
  const entry = (await runtime.authorizerList(bridge, componentAppid)).get(authorizerAppid)
  if (entry === undefined) return null
  runtime.events.emit({ type: 'refresh-token-recovered', componentAppid, authorizerAppid })
  return { value: { authorizer_refresh_token: entry.refreshToken }, expiresIn: -1 }
}

/**
 * An account's home missing from every tier: the configured components that list it. `null` when none does (the
 * appid is not an authorised account of this deployment).
 */
export async function recoverHome(
  runtime: OpenPlatformRuntime,
  key: ResolvedKindKey,
  bridge: CredentialBridge,
): Promise<KindFetchResult<AuthorizerHomeValue> | null> {
  const authorizerAppid = key.authorizerAppid as string
  const holders: string[] = []
  let failure: unknown
  for (const componentAppid of runtime.componentAppids) {
    // A component whose tickets have not arrived cannot list: skipped without asking for its token (a failed fetch
    // would be remembered and hold its first real use back).
    const ticket = await peek(bridge, componentVerifyTicket, { componentAppid }).catch(() => null)
    if (ticket === null) continue
    try {
      if ((await runtime.authorizerList(bridge, componentAppid)).has(authorizerAppid)) holders.push(componentAppid)
    } catch (error) {
      failure ??= error
    }
  }
  // Listed nowhere: unknown — unless a list could not be had, whose error says why.
  if (holders.length === 0) {
    if (failure !== undefined) throw failure
    return null
  }
  return { value: { componentAppid: holders[0]!, componentAppids: holders, status: 'authorized' }, expiresIn: -1 }
}
