import type { AppKey, CredentialBridge, UserAccessTokenValue } from '@open-bridge/core'
import { storeRefreshToken, userTokenValue } from '../fetchers/user-access-token.js'
import { storedLife } from '../options.js'
import { replySeconds } from '../platform-reply.js'
import { exchangeCode } from './code-exchange.js'
import type { PlatformHelperOptions } from './helper-source.js'
import { nonEmpty } from './non-empty.js'

/**
 * Web OAuth: exchanges the `code` of an authorisation redirect for the user's access_token and stores it under
 * the user's openid, its refresh_token inside the value and in its own `user_refresh_token` record for 30 days
 * (so the source can renew the token from it, also after the 2-hour token has gone; see
 * fetchers/user-access-token.ts). Resolves the token value (with `openid`, `scope`, `unionid` when given). The
 * appsecret is the one configured in `createBridge({ apps })`.
 */
export async function exchangeOAuthCode(
  bridge: CredentialBridge,
  key: AppKey,
  code: string,
  options?: PlatformHelperOptions,
): Promise<UserAccessTokenValue & { openid: string }> {
  const { reply, call, appid, platform, source } = await exchangeCode(bridge, key, code, options, {
    path: '/sns/oauth2/access_token',
    name: 'oauth2 access_token',
    codeParam: 'code',
  })
  const value = userTokenValue(reply, call)
  const openid = nonEmpty(value.openid, 'reply.openid')
  const userKey = { appid, platform, openid }
  await bridge.setUserAccessToken(
    userKey,
    value,
    storedLife(replySeconds(reply, 'expires_in', 7200), source.expiryMarginSeconds),
  )
  if (value.refresh_token !== undefined) await storeRefreshToken(bridge, userKey, value.refresh_token)
  return { ...value, openid }
}
