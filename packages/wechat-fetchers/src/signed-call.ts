import { createHmac } from 'node:crypto'
import type { CredentialBridge, Platform } from '@open-bridge/core'
import { WechatError } from './errors.js'
import { withAccessToken } from './with-access-token.js'
import type { PlatformClient } from './platform-client.js'
import type { PlatformReply } from './platform-reply.js'

/** The signed-call signature: hex `hmac_sha256(key = session_key, message = "")`. */
export function sessionSignature(sessionKey: string): string {
  return createHmac('sha256', sessionKey).update('').digest('hex')
}

/**
 * A call signed with the user's session_key (checksession, resetusersessionkey, getuserencryptkey): the
 * session_key and the app access_token are read through the bridge; a missing session_key is a clear
 * E_SESSION_KEY_MISSING, never a TypeError.
 */
export async function signedCall(
  client: PlatformClient,
  bridge: CredentialBridge,
  user: { appid: string; platform: Platform; openid: string },
  endpoint: { method?: 'GET' | 'POST'; path: string; name: string },
  signal?: AbortSignal,
): Promise<PlatformReply> {
  const { appid, openid } = user
  const session = await bridge.getSessionKey(user)
  if (session === null) {
    throw new WechatError(
      'E_SESSION_KEY_MISSING',
      `no session_key is stored for this user of appid ${appid}; call code2Session after wx.login first`,
      {
        appid,
        field: 'key.openid',
      },
    )
  }
  const signature = sessionSignature(session.session_key)
  return withAccessToken(bridge, user, (token) =>
    client.call({
      host: 'weixin',
      method: endpoint.method ?? 'GET',
      path: endpoint.path,
      endpoint: endpoint.name,
      query: { access_token: token, openid, signature, sig_method: 'hmac_sha256' },
      appid,
      secrets: [token, signature],
      signal,
    }),
  )
}
