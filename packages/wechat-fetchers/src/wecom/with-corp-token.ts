import type { CredentialBridge, CredentialHandle } from '@open-bridge/core'
import { WechatError } from '../errors.js'
import {
  wecomCorpToken,
  wecomSuiteToken,
  type CorpAppKey,
  type CorpTokenValue,
  type SuiteKey,
  type SuiteTokenValue,
} from './wecom-kinds.js'

/** WeCom's errcodes for a rejected (expired, replaced, missing) corp access_token. */
export const WECOM_TOKEN_ERRCODES: readonly number[] = Object.freeze([40014, 41001, 42001])
/**
 * WeCom's errcodes for a rejected suite_access_token, besides the token ones (/work/shared/wechat-third-party.md,
 * WeCom errcodes): 42009 suite token expired, 40082 invalid suite token, and 40085 invalid suite_ticket — the token
 * was made from a ticket WeCom no longer accepts, so a token from the newest pushed ticket is asked for once (a
 * refused ticket then ends in `E_SUITE_TICKET_REFUSED`, never in a loop).
 */
export const WECOM_SUITE_TOKEN_ERRCODES: readonly number[] = Object.freeze([42009, 40082, 40085, 40014, 42001])

/** Did WeCom reject the token the call was made with? By code and errcode, so another copy's errors count too. */
export function isCorpTokenRejected(error: unknown): boolean {
  return platformErrcodeIn(error, WECOM_TOKEN_ERRCODES)
}

/** Did WeCom reject the suite_access_token the call was made with? */
export function isSuiteTokenRejected(error: unknown): boolean {
  return platformErrcodeIn(error, WECOM_SUITE_TOKEN_ERRCODES)
}

function platformErrcodeIn(error: unknown, codes: readonly number[]): boolean {
  const e = error as { code?: unknown; errcode?: unknown } | null
  return (
    typeof e === 'object' &&
    e !== null &&
    e.code === 'E_PLATFORM_API' &&
    typeof e.errcode === 'number' &&
    codes.includes(e.errcode)
  )
}

/**
 * Runs a call that needs a corp app's access_token, read through the bridge (tiers, lock, single-flight: one
 * `gettoken` per rotation for the deployment). If WeCom rejects the token (40014 / 41001 / 42001), one
 * compare-and-refresh (`refresh(key, { ifValue: token })`: a token someone already replaced is read back, else one
 * new one is fetched) and the call is retried once with the token the bridge answered.
 * Rejects `E_APP_NOT_CONFIGURED` when no token can be had (no secret configured, no authorising suite).
 */
export function withCorpToken<T>(
  bridge: CredentialBridge,
  key: CorpAppKey,
  call: (accessToken: string) => Promise<T>,
): Promise<T> {
  return withHandle(bridge.credential(wecomCorpToken), key, (value: CorpTokenValue) => value.access_token, call, {
    isRejected: isCorpTokenRejected,
    missing: () =>
      new WechatError(
        'E_APP_NOT_CONFIGURED',
        `no WeCom access_token could be had for corp ${key.corpId} app ${key.agentId}: configure the app's secret (wecomSource({ corps })) or authorise a configured suite`,
        { appid: key.corpId },
      ),
  })
}

/** `withCorpToken` for a suite's suite_access_token (refreshed once on 42009 / 40082 / 40085 / 40014 / 42001). */
export function withSuiteToken<T>(
  bridge: CredentialBridge,
  key: SuiteKey,
  call: (suiteAccessToken: string) => Promise<T>,
): Promise<T> {
  return withHandle(
    bridge.credential(wecomSuiteToken),
    key,
    (value: SuiteTokenValue) => value.suite_access_token,
    call,
    {
      isRejected: isSuiteTokenRejected,
      missing: () =>
        new WechatError(
          'E_APP_NOT_CONFIGURED',
          `no suite_access_token could be had for suite ${key.suiteId}: configure it in wecomSource({ suites })`,
          { appid: key.suiteId },
        ),
    },
  )
}

async function withHandle<Key extends object, Value extends object, T>(
  handle: CredentialHandle<Key, Value>,
  key: Key,
  credential: (value: Value) => string,
  call: (credential: string) => Promise<T>,
  on: { isRejected: (error: unknown) => boolean; missing: () => Error },
): Promise<T> {
  const usable = (value: Value | null): string => {
    if (value === null) throw on.missing()
    return credential(value)
  }
  const current = usable(await handle.get(key))
  try {
    return await call(current)
  } catch (error) {
    if (!on.isRejected(error)) throw error
    return call(usable(await handle.refresh(key, { ifValue: current })))
  }
}
