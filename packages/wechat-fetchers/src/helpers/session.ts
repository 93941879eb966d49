import type { AppKey, CredentialBridge, ResolvedKey, UserKey } from '@open-bridge/core'
import { invalidArgument, PlatformApiError } from '../errors.js'
import { replyString } from '../platform-reply.js'
import { signedCall } from '../signed-call.js'
import { exchangeCode } from './code-exchange.js'
import { sourceOf, type PlatformHelperOptions } from './helper-source.js'
import { resolveKey } from './resolve-key.js'

export interface SessionInfo {
  openid: string
  unionid?: string
  session_key: string
}

/**
 * How long a stored session_key lives by default: 3 days. The platform states no expiry; a new `wx.login`
 * replaces the key, and WeChat keeps it valid longer the more the user is active. Three days covers an active
 * user between logins (each login stores a fresh key with a fresh life), while the keys of users who never come
 * back leave every tier instead of piling up for ever. A signed call made with an expired entry answers
 * `E_SESSION_KEY_MISSING`: log in again. Pass `sessionKeyTtlSeconds` (`-1` = never expires) to change it.
 */
export const DEFAULT_SESSION_KEY_TTL_SECONDS = 3 * 24 * 3600

/**
 * Mini-program login: exchanges a `wx.login` code for the user's openid and session_key, and stores the
 * session_key in the bridge for `sessionKeyTtlSeconds` (default 3 days, see `DEFAULT_SESSION_KEY_TTL_SECONDS`).
 * The appsecret is the one configured in `createBridge({ apps })`.
 */
export async function code2Session(
  bridge: CredentialBridge,
  key: AppKey,
  code: string,
  options?: PlatformHelperOptions & { sessionKeyTtlSeconds?: number },
): Promise<SessionInfo> {
  // Checked before the call: the login code is single-use, so a bad option found afterwards would waste it.
  const sessionKeyTtl = sessionKeyTtlOf(options?.sessionKeyTtlSeconds)
  const { reply, call, appid, platform } = await exchangeCode(bridge, key, code, options, {
    path: '/sns/jscode2session',
    name: 'jscode2session',
    codeParam: 'js_code',
  })
  const info: SessionInfo = {
    openid: replyString(reply, 'openid', call),
    session_key: replyString(reply, 'session_key', call),
  }
  if (typeof reply.unionid === 'string') info.unionid = reply.unionid
  await bridge.setSessionKey({ appid, platform, openid: info.openid }, { session_key: info.session_key }, sessionKeyTtl)
  return info
}

/** Whether the platform still accepts the stored session_key (false on 87009); throws E_SESSION_KEY_MISSING if none is stored. */
export async function checkSessionKey(
  bridge: CredentialBridge,
  key: UserKey,
  options?: PlatformHelperOptions,
): Promise<boolean> {
  const { key: user } = resolveKey(bridge, 'session_key', key)
  try {
    await signedCall(sourceOf(bridge, options).client, bridge, userOf(user), {
      path: '/wxa/checksession',
      name: 'checksession',
    })
    return true
  } catch (error) {
    // By brand and code (see PlatformApiError): the error may come from another copy of this package.
    if (error instanceof PlatformApiError && error.errcode === 87009) return false
    throw error
  }
}

/** Asks the platform for a new session_key for the user and stores it (for `sessionKeyTtlSeconds`, default 3 days). */
export async function resetSessionKey(
  bridge: CredentialBridge,
  key: UserKey,
  options?: PlatformHelperOptions & { sessionKeyTtlSeconds?: number },
): Promise<{ session_key: string }> {
  const sessionKeyTtl = sessionKeyTtlOf(options?.sessionKeyTtlSeconds)
  const user = userOf(resolveKey(bridge, 'session_key', key).key)
  const reply = await signedCall(sourceOf(bridge, options).client, bridge, user, {
    path: '/wxa/resetusersessionkey',
    name: 'resetusersessionkey',
  })
  const sessionKey = replyString(reply, 'session_key', { endpoint: 'resetusersessionkey', appid: user.appid })
  await bridge.setSessionKey(user, { session_key: sessionKey }, sessionKeyTtl)
  return { session_key: sessionKey }
}

/** The resolved user key as an appid key (the bridge has validated openid for a user kind). */
function sessionKeyTtlOf(value: unknown): number {
  if (value === undefined) return DEFAULT_SESSION_KEY_TTL_SECONDS
  if (value === -1) return -1
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument('options.sessionKeyTtlSeconds', 'must be a positive number of seconds or -1')
  }
  return value
}

function userOf(key: ResolvedKey<'session_key'>): { appid: string; platform: UserKey['platform']; openid: string } {
  return { appid: key.appid, platform: key.platform, openid: key.openid as string }
}
