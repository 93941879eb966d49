import type { FetchResult, ResolvedKey, SourceContext, UserKey } from '@open-bridge/core'
import { PlatformApiError } from '../errors.js'
import { storedLife, type ResolvedOptions } from '../options.js'
import { replySeconds, replyString, type PlatformClient } from '../platform-client.js'

/**
 * The refresh_token outlives the access_token it came with (≈30 days against 2 hours), so it is stored
 * apart, as a user_access_token of the pseudo-openid `<openid>.refresh` whose value holds `refresh_token`
 * (and an empty `access_token`). When the access_token expires, the source renews it from there.
 */
export function refreshRecordKey(key: Pick<ResolvedKey, 'appid' | 'platform'> & { openid: string }): UserKey {
  return { appid: key.appid, platform: key.platform, openid: `${key.openid}.refresh` }
}

/** How long the platform keeps a web OAuth refresh_token, in seconds. */
export const REFRESH_TOKEN_LIFE = 30 * 24 * 3600

/** Web OAuth: renews a user access_token with the stored refresh_token, or `null` when none is stored. */
export async function fetchUserAccessToken(
  client: PlatformClient,
  options: ResolvedOptions,
  key: ResolvedKey<'user_access_token'>,
  ctx: SourceContext,
): Promise<FetchResult<'user_access_token'> | null> {
  if (!key.platform.startsWith('weixin-') || key.openid!.endsWith('.refresh')) return null
  const recordKey = refreshRecordKey({ ...key, openid: key.openid! })
  const record = await ctx.bridge.getUserAccessToken(recordKey)
  const refreshToken = record?.refresh_token
  if (typeof refreshToken !== 'string' || refreshToken.length === 0) return null
  const call = {
    host: 'weixin' as const,
    path: '/sns/oauth2/refresh_token',
    endpoint: 'oauth2 refresh_token',
    query: { appid: key.appid, grant_type: 'refresh_token', refresh_token: refreshToken },
    appid: key.appid,
    secrets: [refreshToken],
  }
  let reply: Record<string, unknown>
  try {
    reply = await client.call(call)
  } catch (error) {
    // A dead refresh_token will not revive: forget it, so the bridge answers null (the user must authorise again).
    if (!(error instanceof PlatformApiError) || error.category !== 'user') throw error
    await ctx.bridge.removeUserAccessToken(recordKey)
    return null
  }
  const value = userTokenValue(reply, call)
  if (value.refresh_token !== undefined && value.refresh_token !== refreshToken) {
    await ctx.bridge.setUserAccessToken(recordKey, { access_token: '', refresh_token: value.refresh_token }, REFRESH_TOKEN_LIFE)
  }
  return { value, expiresIn: storedLife(replySeconds(reply, 'expires_in', 7200), options.expiryMarginSeconds) }
}

/** The stored value of an OAuth token reply: the token, its refresh_token, openid, scope, unionid. */
export function userTokenValue(reply: Record<string, unknown>, call: { endpoint: string; appid: string }): FetchResult<'user_access_token'>['value'] {
  const value: FetchResult<'user_access_token'>['value'] = { access_token: replyString(reply, 'access_token', call) }
  for (const field of ['refresh_token', 'openid', 'scope', 'unionid'] as const) {
    if (typeof reply[field] === 'string') value[field] = reply[field]
  }
  return value
}
