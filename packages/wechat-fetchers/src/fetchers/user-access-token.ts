import type { FetchResult, ResolvedKey, SourceContext, StoredRecord } from '@open-bridge/core'
import { storedLife, type ResolvedOptions } from '../options.js'
import { replySeconds, replyString, type PlatformClient } from '../platform-client.js'

/** How long the platform keeps a web OAuth refresh_token, in seconds. */
export const REFRESH_TOKEN_LIFE = 30 * 24 * 3600

/**
 * Web OAuth: renews a user access_token with its refresh_token, or `null` when there is none (the user must
 * authorise again). The refresh_token travels inside the user_access_token value (`refresh_token`, as
 * uni-open-bridge stores it), so the bridge hands it over as `ctx.previous` whenever it replaces a stored token:
 * a refresh-ahead before the 2-hour token runs out (core's default: in its last 180 s), or a compare-and-refresh
 * after the platform rejected it. A refresh_token the platform refuses (40030 / 42002, category `user`) answers
 * `null`: the user must authorise again.
 */
export async function fetchUserAccessToken(
  client: PlatformClient,
  options: ResolvedOptions,
  key: ResolvedKey<'user_access_token'>,
  ctx: SourceContext,
): Promise<FetchResult<'user_access_token'> | null> {
  if (!key.platform.startsWith('weixin-')) return null
  const refreshToken = refreshTokenOf(ctx.previous)
  if (refreshToken === undefined) return null
  const call = {
    host: 'weixin' as const,
    path: '/sns/oauth2/refresh_token',
    endpoint: 'oauth2 refresh_token',
    query: { appid: key.appid, grant_type: 'refresh_token', refresh_token: refreshToken },
    appid: key.appid,
    secrets: [refreshToken],
    signal: ctx.signal,
  }
  let reply: Record<string, unknown>
  try {
    reply = await client.call(call)
  } catch (error) {
    // A dead refresh_token will not revive: nothing to renew, the user must authorise again.
    if ((error as { code?: unknown; category?: unknown })?.code === 'E_PLATFORM_API' && (error as { category?: unknown }).category === 'user') return null
    throw error
  }
  const value = userTokenValue(reply, call)
  // The platform usually answers the same refresh_token; keep the one we had if it answers none.
  value.refresh_token ??= refreshToken
  return { value, expiresIn: storedLife(replySeconds(reply, 'expires_in', 7200), options.expiryMarginSeconds) }
}

/** The refresh_token a stored user_access_token record carries, if any. */
function refreshTokenOf(record: StoredRecord | undefined): string | undefined {
  const refreshToken = (record?.value as { refresh_token?: unknown } | undefined)?.refresh_token
  return typeof refreshToken === 'string' && refreshToken.length > 0 ? refreshToken : undefined
}

/** The stored value of an OAuth token reply: the token, its refresh_token, openid, scope, unionid. */
export function userTokenValue(reply: Record<string, unknown>, call: { endpoint: string; appid: string }): FetchResult<'user_access_token'>['value'] {
  const value: FetchResult<'user_access_token'>['value'] = { access_token: replyString(reply, 'access_token', call) }
  for (const field of ['refresh_token', 'openid', 'scope', 'unionid'] as const) {
    if (typeof reply[field] === 'string') value[field] = reply[field]
  }
  return value
}
