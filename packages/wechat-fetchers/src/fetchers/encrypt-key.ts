import type { FetchResult, ResolvedKey, SourceContext } from '@open-bridge/core'
import { WechatError } from '../errors.js'
import { storedLife, type ResolvedOptions } from '../options.js'
import type { PlatformClient } from '../platform-client.js'
import { signedCall } from '../signed-call.js'

export interface KeyInfo {
  encrypt_key?: unknown
  iv?: unknown
  version?: unknown
  expire_in?: unknown
  create_time?: unknown
}

/**
 * A mini-program user's encrypt_key of the requested `version`, by a call signed with the user's
 * session_key. The platform returns its last three keys; the one whose version matches is stored.
 */
export async function fetchEncryptKey(
  client: PlatformClient,
  options: ResolvedOptions,
  key: ResolvedKey<'encrypt_key'>,
  ctx: SourceContext,
): Promise<FetchResult<'encrypt_key'> | null> {
  if (key.platform !== 'weixin-mp') return null
  const { appid, platform } = key
  const openid = key.openid!
  const reply = await signedCall(
    client,
    ctx.bridge,
    { appid, platform, openid },
    {
      method: 'POST',
      path: '/wxa/business/getuserencryptkey',
      name: 'getuserencryptkey',
    },
    ctx.signal,
  )
  const list = keyInfoList(reply)
  const match = list.find((info) => Number(info.version) === key.version)
  if (match === undefined || typeof match.encrypt_key !== 'string' || typeof match.iv !== 'string') {
    const versions = list.map((info) => Number(info.version)).filter(Number.isFinite)
    throw new WechatError(
      'E_ENCRYPT_KEY_VERSION_MISSING',
      `the platform holds no encrypt_key version ${key.version} for this user of appid ${appid} (it has: ${versions.join(', ') || 'none'})`,
      { appid, field: 'key.version' },
    )
  }
  return {
    value: { encrypt_key: match.encrypt_key, iv: match.iv, version: key.version },
    expiresIn: storedLife(remainingLife(match), options.expiryMarginSeconds),
  }
}

/** The keys a getuserencryptkey reply lists (the platform keeps the user's last three). */
export function keyInfoList(reply: Record<string, unknown>): KeyInfo[] {
  return Array.isArray(reply.key_info_list) ? (reply.key_info_list as KeyInfo[]) : []
}

/** A key lives `expire_in` seconds from `create_time`; without `create_time`, from now. */
export function remainingLife(info: KeyInfo): number {
  const life = Number(info.expire_in)
  const lifeSeconds = Number.isFinite(life) && life > 0 ? life : 3600
  const created = Number(info.create_time)
  if (!Number.isFinite(created) || created <= 0) return lifeSeconds
  return Math.max(1, created + lifeSeconds - Date.now() / 1000)
}
