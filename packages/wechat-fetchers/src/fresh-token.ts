import type { CredentialBridge, ResolvedKey } from '@open-bridge/core'
import { PlatformApiError, WechatError } from './errors.js'

/**
 * Runs a call that needs the app access_token, read through the bridge (tiers + single-flight, so it is
 * never fetched twice). If the platform rejects the token (40001/40014/42001), the stored token is dropped
 * only if it is still the one that failed — another caller may already have replaced it — and the call is
 * retried once with the token the bridge then gives.
 */
export async function withAccessToken<T>(bridge: CredentialBridge, key: Pick<ResolvedKey, 'appid' | 'platform'>, call: (token: string) => Promise<T>): Promise<T> {
  const tokenKey = { appid: key.appid, platform: key.platform }
  const token = await currentToken(bridge, tokenKey)
  try {
    return await call(token)
  } catch (error) {
    if (!(error instanceof PlatformApiError) || error.category !== 'token-invalid') throw error
    const stored = await bridge.getAccessToken(tokenKey)
    if (stored?.access_token === token) await bridge.removeAccessToken(tokenKey)
    return call(await currentToken(bridge, tokenKey))
  }
}

async function currentToken(bridge: CredentialBridge, key: { appid: string; platform: ResolvedKey['platform'] }): Promise<string> {
  const value = await bridge.getAccessToken(key)
  if (value === null) {
    throw new WechatError('E_APP_NOT_CONFIGURED', `no access_token could be had for appid ${key.appid} on platform ${key.platform}`, { appid: key.appid })
  }
  return value.access_token
}
