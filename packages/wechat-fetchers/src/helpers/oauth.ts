import type { AppKey, CredentialBridge, UserAccessTokenValue } from '@open-bridge/core'
import { appSecret } from '../app-secret.js'
import { REFRESH_TOKEN_LIFE, refreshRecordKey, userTokenValue } from '../fetchers/user-access-token.js'
import { storedLife } from '../options.js'
import { replySeconds } from '../platform-client.js'
import { resolveKey, sourceOf, type PlatformHelperOptions } from './helper-options.js'
import { nonEmpty } from './non-empty.js'

/**
 * Web OAuth: exchanges the `code` of an authorisation redirect for the user's access_token, stores it
 * under the user's openid, and stores the refresh_token apart so the source can renew the access_token
 * when it expires. Resolves the token value (with `openid`, `scope`, `unionid` when given). The appsecret
 * is the one configured in `createBridge({ apps })`.
 */
export async function exchangeOAuthCode(
  bridge: CredentialBridge,
  key: AppKey,
  code: string,
  options?: PlatformHelperOptions,
): Promise<UserAccessTokenValue & { openid: string }> {
  const { key: app, ctx } = resolveKey(bridge, 'access_token', key)
  const source = sourceOf(bridge, options)
  nonEmpty(code, 'code')
  const secret = appSecret(app, ctx)
  const { appid, platform } = app
  const call = {
    host: 'weixin' as const,
    path: '/sns/oauth2/access_token',
    endpoint: 'oauth2 access_token',
    query: { appid, secret, code, grant_type: 'authorization_code' },
    appid,
    secrets: [secret, code],
  }
  const reply = await source.client.call(call)
  const value = userTokenValue(reply, call)
  const openid = nonEmpty(value.openid, 'reply.openid')
  const userKey = { appid, platform, openid }
  await bridge.setUserAccessToken(userKey, value, storedLife(replySeconds(reply, 'expires_in', 7200), source.expiryMarginSeconds))
  if (value.refresh_token !== undefined) {
    await bridge.setUserAccessToken(refreshRecordKey(userKey), { access_token: '', refresh_token: value.refresh_token }, REFRESH_TOKEN_LIFE)
  }
  return { ...value, openid }
}
