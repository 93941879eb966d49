import type { AppKey, CredentialBridge } from '@open-bridge/core'
import { appSecret } from '../app-secret.js'
import { invalidArgument } from '../errors.js'
import type { PlatformHelperOptions } from '../helpers/helper-source.js'
import { operatorApp, tokenPost } from './operator-call.js'

/**
 * Resets WeChat allows an account a month — `clear_quota` and `clear_quota/v2` together; each reset that takes
 * effect spends one, and the eleventh answers 48006.
 */
export const CLEAR_QUOTA_MONTHLY_LIMIT = 10

/** How a reset authenticates: the app's appsecret (`clear_quota/v2`, the default) or its access_token (`clear_quota`). */
export type ClearQuotaVia = 'appsecret' | 'access_token'

export interface ClearQuotaOptions extends PlatformHelperOptions {
  /**
   * `'appsecret'` (default): `POST /cgi-bin/clear_quota/v2` with appid and appsecret — works when no access_token
   * can be had, which is when a reset is needed (the token endpoint's own quota is used up: 45009).
   * `'access_token'`: the older `POST /cgi-bin/clear_quota?access_token=…`.
   */
  via?: ClearQuotaVia
}

/**
 * Resets the app's daily API quotas now: every API's count back to 0. Spends one of the account's
 * `CLEAR_QUOTA_MONTHLY_LIMIT` (10) resets a month; once they are spent the platform answers 48006 (category
 * `quota`). Sent once, never retried: a retry after a lost answer could spend two. The appsecret is the one
 * configured in `createBridge({ apps })`; it goes in the JSON body, never in a URL, and is masked in any error.
 */
export async function clearQuota(
  bridge: CredentialBridge,
  key: AppKey,
  options?: ClearQuotaOptions,
): Promise<{ appid: string; via: ClearQuotaVia }> {
  const target = operatorApp(bridge, key, options)
  const via = options?.via ?? 'appsecret'
  if (via !== 'appsecret' && via !== 'access_token')
    throw invalidArgument('options.via', "must be 'appsecret' or 'access_token'")
  const { appid } = target.app
  if (via === 'access_token') {
    await tokenPost(bridge, target, { path: '/cgi-bin/clear_quota', name: 'clear_quota' }, { appid }, true)
    return { appid, via }
  }
  const secret = appSecret(target.app, target.ctx)
  await target.source.client.call({
    host: 'weixin',
    method: 'POST',
    path: '/cgi-bin/clear_quota/v2',
    endpoint: 'clear_quota/v2',
    query: {},
    body: { appid, appsecret: secret },
    appid,
    secrets: [secret],
    once: true,
  })
  return { appid, via }
}
