import type { AppKey, CredentialBridge } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import type { PlatformHelperOptions } from '../helpers/helper-source.js'
import { operatorApp, tokenPost } from './operator-call.js'

/** One API's daily quota, as `openapi/quota/get` reports it. */
export interface ApiQuota {
  /** The API path asked about, e.g. `/cgi-bin/stable_token`. */
  cgiPath: string
  /** Calls the account may make today. */
  dailyLimit: number
  /** Calls made today. */
  used: number
  /** Calls left today. */
  remain: number
}

/**
 * How much of an API's daily quota the app has used (`POST /cgi-bin/openapi/quota/get`, with the app's
 * access_token read through the bridge). `cgiPath` is the API's path without the host: `/cgi-bin/stable_token`.
 * WeChat platforms only; `/sns/…` paths are refused by the platform (76022).
 */
export async function getApiQuota(
  bridge: CredentialBridge,
  key: AppKey,
  cgiPath: string,
  options?: PlatformHelperOptions,
): Promise<ApiQuota> {
  const target = operatorApp(bridge, key, options)
  if (typeof cgiPath !== 'string' || !/^\/[\w./-]{1,200}$/.test(cgiPath))
    throw invalidArgument('cgiPath', 'must be an API path without the host, e.g. /cgi-bin/stable_token')
  const reply = await tokenPost(
    bridge,
    target,
    { path: '/cgi-bin/openapi/quota/get', name: 'openapi/quota/get' },
    { cgi_path: cgiPath },
  )
  const quota = (typeof reply.quota === 'object' && reply.quota !== null ? reply.quota : {}) as Record<string, unknown>
  const count = (field: string): number => {
    const value = Number(quota[field])
    if (!Number.isFinite(value) || value < 0)
      throw new WechatError(
        'E_HTTP',
        `openapi/quota/get for appid ${target.app.appid} answered without quota.${field}`,
        {
          appid: target.app.appid,
        },
      )
    return value
  }
  return { cgiPath, dailyLimit: count('daily_limit'), used: count('used'), remain: count('remain') }
}
