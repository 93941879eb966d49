import type { FetchResult, ResolvedKey, SourceContext } from '@open-bridge/core'
import { appSecret } from '../app-secret.js'
import { storedLife, type ResolvedOptions, type WeixinPlatform } from '../options.js'
import type { PlatformCall } from '../platform-call.js'
import type { PlatformClient } from '../platform-client.js'
import { replySeconds, replyString } from '../platform-reply.js'

/**
 * The app access_token: WeChat's stable_token (POST, secret in the JSON body) or classic token (GET),
 * QQ mini-program's getToken. `null` for a platform without a client-credential token (qq-app).
 *
 * stable_token hands back the same token until its last minutes, so a token the platform has rejected would
 * come back unchanged: only then (`ctx.reason === 'rejected'`, a rejection the bridge has confirmed is of the
 * stored token) is `force_refresh: true` sent. Never on a miss or a refresh-ahead: forced refreshes are limited
 * (20 a day) and each one kills the token every other process is using.
 */
export async function fetchAccessToken(
  client: PlatformClient,
  options: ResolvedOptions,
  key: ResolvedKey<'access_token'>,
  ctx: SourceContext,
): Promise<FetchResult<'access_token'> | null> {
  if (key.platform === 'qq-app') return null
  const secret = appSecret(key, ctx)
  const { appid } = key
  const common = { appid, secrets: [secret], tokenEndpoint: true, signal: ctx.signal }
  let call: PlatformCall
  if (key.platform === 'qq-mp') {
    call = {
      ...common,
      host: 'qq',
      path: '/api/getToken',
      endpoint: 'qq getToken',
      query: { grant_type: 'client_credential', appid, secret },
    }
  } else if (options.accessTokenMode[key.platform as WeixinPlatform] === 'stable') {
    call = {
      ...common,
      host: 'weixin',
      method: 'POST',
      path: '/cgi-bin/stable_token',
      endpoint: 'stable_token',
      query: {},
      body: { grant_type: 'client_credential', appid, secret, force_refresh: ctx.reason === 'rejected' },
    }
  } else {
    call = {
      ...common,
      host: 'weixin',
      path: '/cgi-bin/token',
      endpoint: 'token',
      query: { grant_type: 'client_credential', appid, secret },
    }
  }
  const reply = await client.call(call)
  return {
    value: { access_token: replyString(reply, 'access_token', call) },
    expiresIn: storedLife(replySeconds(reply, 'expires_in', 7200), options.expiryMarginSeconds),
  }
}
