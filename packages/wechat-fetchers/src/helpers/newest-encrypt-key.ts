import type { CredentialBridge, EncryptKeyValue, UserKey } from '@open-bridge/core'
import { keyInfoList, remainingLife } from '../fetchers/encrypt-key.js'
import { storedLife } from '../options.js'
import { signedCall } from '../signed-call.js'
import { sourceOf, type PlatformHelperOptions } from './helper-source.js'
import { resolveKey } from './resolve-key.js'

/** The newest of a user's encrypt keys, as `newestEncryptKey` resolves it. */
export interface NewestEncryptKey {
  version: number
  value: EncryptKeyValue
  /** Seconds it stays stored (its life on the platform less the source's expiry margin). */
  expiresIn: number
}

/**
 * The newest encrypt_key the platform holds for a mini-program user, for a caller that has no `version` (the
 * client's `getLatestUserKey()` hands out the newest): one `getuserencryptkey` call, signed with the stored
 * session_key; every version the platform lists is stored in the bridge under its own `version` (so a later
 * `getEncryptKey({ …, version })` is a hit), and the newest is returned. `null` for a platform other than
 * weixin-mp or an empty list. Costs a platform call each time: keep the `version` it returns.
 */
export async function newestEncryptKey(
  bridge: CredentialBridge,
  key: UserKey,
  options?: PlatformHelperOptions,
): Promise<NewestEncryptKey | null> {
  const { key: user } = resolveKey(bridge, 'session_key', key)
  if (user.platform !== 'weixin-mp') return null
  const internals = sourceOf(bridge, options)
  const { appid, platform } = user
  const openid = user.openid!
  const reply = await signedCall(
    internals.client,
    bridge,
    { appid, platform, openid },
    {
      method: 'POST',
      path: '/wxa/business/getuserencryptkey',
      name: 'getuserencryptkey',
    },
  )
  let newest: NewestEncryptKey | null = null
  for (const info of keyInfoList(reply)) {
    const version = Number(info.version)
    if (!Number.isInteger(version) || version < 1) continue
    if (typeof info.encrypt_key !== 'string' || typeof info.iv !== 'string') continue
    const value: EncryptKeyValue = { encrypt_key: info.encrypt_key, iv: info.iv, version }
    const expiresIn = storedLife(remainingLife(info), internals.expiryMarginSeconds)
    await bridge.setEncryptKey({ appid, platform, openid, version }, value, expiresIn)
    if (newest === null || version > newest.version) newest = { version, value, expiresIn }
  }
  return newest
}
