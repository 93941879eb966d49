import type {
  CredentialBridge,
  FetchResult,
  ResolvedKey,
  SourceContext,
  StoredRecord,
  UserKey,
} from '@open-bridge/core'
import { appSecret } from '../app-secret.js'
import { storedLife, type ResolvedOptions } from '../options.js'
import type { PlatformClient } from '../platform-client.js'
import { replySeconds, replyString } from '../platform-reply.js'

/** How long the platform keeps a web OAuth refresh_token, in seconds. */
export const REFRESH_TOKEN_LIFE = 30 * 24 * 3600

/**
 * Web OAuth: renews a user access_token with its refresh_token, or `null` when there is none (the user must
 * authorise again). The refresh_token has two homes:
 * - inside the user_access_token value (`refresh_token`, as uni-open-bridge stores it), which the bridge hands over
 *   as `ctx.previous` when it replaces a stored token (refresh-ahead, or compare-and-refresh after a rejection);
 * - its own record, core's `user_refresh_token` kind (`uni-id:<platform>:<appid>:<openid>:user-refresh-token`),
 *   stored for the refresh_token's 30 days by `exchangeOAuthCode` and by a renewal that brings a new one. It
 *   outlives the 2-hour token, so a user who comes back after the token has expired is renewed too.
 * A refresh_token the platform refuses (40030 / 42002, category `user`) is forgotten and renews nothing (`null`).
 */
export async function fetchUserAccessToken(
  client: PlatformClient,
  options: ResolvedOptions,
  key: ResolvedKey<'user_access_token'>,
  ctx: SourceContext,
): Promise<FetchResult<'user_access_token'> | null> {
  if (!key.platform.startsWith('weixin-')) return null
  // A key that names a dcloudAppid no app configures (a user credential the uni-open-bridge drop-in stores under
  // the dcloudAppid) has no platform appid to renew with: say so rather than send the dcloudAppid to the platform.
  if (ctx.app === undefined && key.dcloudAppid !== undefined) appSecret(key, ctx)
  const userKey: UserKey = { appid: key.appid, platform: key.platform, openid: key.openid as string }
  const stored = await storedRefreshToken(ctx.bridge, userKey)
  const refreshToken = refreshTokenOf(ctx.previous) ?? stored
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
    // A dead refresh_token will not revive: forget it; nothing to renew, the user must authorise again.
    const refused = error as { code?: unknown; category?: unknown } | null
    if (refused?.code === 'E_PLATFORM_API' && refused.category === 'user') {
      if (stored === refreshToken) await ctx.bridge.remove('user_refresh_token', userKey)
      return null
    }
    throw error
  }
  const value = userTokenValue(reply, call)
  // The platform usually answers the same refresh_token; keep the one we had if it answers none.
  value.refresh_token ??= refreshToken
  // A refresh_token keeps its own 30 days when used: only a new one (or one not stored yet) is written.
  if (value.refresh_token !== stored) await storeRefreshToken(ctx.bridge, userKey, value.refresh_token)
  return { value, expiresIn: storedLife(replySeconds(reply, 'expires_in', 7200), options.expiryMarginSeconds) }
}

/** Keeps a refresh_token in its own record for its 30 days (see `fetchUserAccessToken`). */
export async function storeRefreshToken(bridge: CredentialBridge, key: UserKey, refreshToken: string): Promise<void> {
  await bridge.set('user_refresh_token', key, { refresh_token: refreshToken }, REFRESH_TOKEN_LIFE)
}

/** The refresh_token in its own record, if one is stored. Never calls the platform (the source has none to fetch). */
async function storedRefreshToken(bridge: CredentialBridge, key: UserKey): Promise<string | undefined> {
  const record = await bridge.get('user_refresh_token', key, () => null)
  return typeof record?.refresh_token === 'string' && record.refresh_token.length > 0 ? record.refresh_token : undefined
}

/** The refresh_token a stored user_access_token record carries, if any. */
function refreshTokenOf(record: StoredRecord | undefined): string | undefined {
  const refreshToken = (record?.value as { refresh_token?: unknown } | undefined)?.refresh_token
  return typeof refreshToken === 'string' && refreshToken.length > 0 ? refreshToken : undefined
}

/** The stored value of an OAuth token reply: the token, its refresh_token, openid, scope, unionid. */
export function userTokenValue(
  reply: Record<string, unknown>,
  call: { endpoint: string; appid: string },
): FetchResult<'user_access_token'>['value'] {
  const value: FetchResult<'user_access_token'>['value'] = { access_token: replyString(reply, 'access_token', call) }
  for (const field of ['refresh_token', 'openid', 'scope', 'unionid'] as const) {
    if (typeof reply[field] === 'string') value[field] = reply[field]
  }
  return value
}
