import type { AppKey, CredentialBridge } from '@open-bridge/core'
import { redactSecrets, SECRET_QUERY_NAMES } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'
import type { PlatformHelperOptions } from '../helpers/helper-source.js'
import { operatorApp, tokenPost } from './operator-call.js'

/** The platform's account of one request, as `openapi/rid/get` gives it, with every credential in it masked. */
export interface RidInfo {
  rid: string
  /** When the request was made, Unix seconds. */
  invokeTime: number
  /** How long the platform took, in ms. */
  costInMs: number
  /** The request's query string (tokens, secrets and codes masked: `access_token=***`). */
  requestUrl: string
  /** The POST body (secret fields masked: `"secret":"***"`). */
  requestBody: string
  /** What the platform answered (credential fields masked: `"access_token":"***"`). */
  responseBody: string
  /** The caller's IP as the platform saw it: what an IP whitelist must hold. */
  clientIp: string
}

/** JSON fields whose string values are secrets or credentials, in bodies and answers: core's one list of names. */
const SECRET_JSON_FIELD = new RegExp(`("(?:${SECRET_QUERY_NAMES.join('|')})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi')

/**
 * What a failed request was (`POST /cgi-bin/openapi/rid/get`): the `rid` is the id at the end of a platform
 * errmsg (`… rid: 5fa26c60-1a0ebdd5-32fd1cd0`). Its `clientIp` is the address the platform saw — the one an IP
 * whitelist needs. The platform answers the request as it was sent, credentials included: every token, secret,
 * code and ticket in the URL, body and answer is masked here (the app's secret and the token of this call as
 * literals too), so the result is safe to print or log. The platform keeps rids for a limited time (76001 after).
 */
export async function getRidInfo(
  bridge: CredentialBridge,
  key: AppKey,
  rid: string,
  options?: PlatformHelperOptions,
): Promise<RidInfo> {
  const target = operatorApp(bridge, key, options)
  if (typeof rid !== 'string' || !/^[\w-]{1,128}$/.test(rid))
    throw invalidArgument('rid', 'must be the rid of a platform errmsg, e.g. 5fa26c60-1a0ebdd5-32fd1cd0')
  const reply = await tokenPost(bridge, target, { path: '/cgi-bin/openapi/rid/get', name: 'openapi/rid/get' }, { rid })
  const request = (typeof reply.request === 'object' && reply.request !== null ? reply.request : {}) as Record<
    string,
    unknown
  >
  const literals = [target.ctx.app?.secret]
  const text = (field: string): string => {
    const value = request[field]
    return typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value)
  }
  const masked = (field: string): string =>
    redactSecrets(text(field).replace(SECRET_JSON_FIELD, '$1"***"'), { literals })
  const number = (field: string): number => {
    const value = Number(request[field])
    return Number.isFinite(value) ? value : 0
  }
  return {
    rid,
    invokeTime: number('invoke_time'),
    costInMs: number('cost_in_ms'),
    requestUrl: masked('request_url'),
    requestBody: masked('request_body'),
    responseBody: masked('response_body'),
    clientIp: text('client_ip'),
  }
}
