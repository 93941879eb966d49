import {
  quoteValue,
  withAccessToken as withCoreAccessToken,
  type CredentialBridge,
  type ResolvedKey,
} from '@open-bridge/core'
import { WechatError } from './errors.js'

/**
 * Runs a call that needs the app access_token, read through the bridge (tiers, lock and single-flight, so it is
 * fetched once per deployment). If the platform rejects the token (40001 / 40014 / 42001), core's compare-and-
 * refresh takes over (`bridge.refreshAccessToken(key, { ifValue: token })`): under the bridge's lock, a token
 * someone already replaced is read back, otherwise one new token is fetched (stable mode: forced, see
 * fetchers/access-token.ts). However many callers in however many processes report the same dead token, the
 * platform sees one token call. The call is retried once with the token the bridge answered.
 */
export async function withAccessToken<T>(
  bridge: CredentialBridge,
  key: Pick<ResolvedKey, 'appid' | 'platform'>,
  call: (token: string) => Promise<T>,
): Promise<T> {
  const tokenKey = { appid: key.appid, platform: key.platform }
  try {
    return await withCoreAccessToken(bridge, tokenKey, call, isTokenRejected)
  } catch (error) {
    // Kept from before compare-and-refresh: "no token at all" has always been this package's E_APP_NOT_CONFIGURED.
    if ((error as { code?: unknown } | null)?.code !== 'E_NO_CREDENTIAL') throw error
    const message = `no access_token could be had for appid ${quoteValue(key.appid)} on platform ${key.platform}`
    throw new WechatError('E_APP_NOT_CONFIGURED', message, { appid: key.appid })
  }
}

/**
 * Did the platform reject the access_token the call was made with? Read by code and category rather than by
 * `instanceof`, so an error from another copy of this package (ESM beside CJS) counts too.
 */
export function isTokenRejected(error: unknown): boolean {
  const e = error as { code?: unknown; category?: unknown } | null
  return typeof e === 'object' && e !== null && e.code === 'E_PLATFORM_API' && e.category === 'token-invalid'
}
