import { parseJsonObject, redactSecrets } from '@open-bridge/core'
import { categoryOf } from './errcode-categories.js'
import { PlatformApiError, WechatError } from './errors.js'
import type { PlatformCall } from './platform-call.js'
import type { HttpAnswer } from './platform-transport.js'

/** A platform reply with `errcode` absent or 0. */
export type PlatformReply = Record<string, unknown>

/**
 * The reply in a 2xx answer: a JSON object whose `errcode` is absent or 0. Anything that is not a JSON object
 * is `E_HTTP`; a non-zero `errcode` is a `PlatformApiError` with its category and its `errmsg` redacted.
 */
export function parseReply(answer: HttpAnswer, call: PlatformCall): PlatformReply {
  const context = { appid: call.appid, url: answer.url }
  const reply = parseJsonObject(answer.text)
  if (reply === undefined) {
    throw new WechatError(
      'E_HTTP',
      `${call.endpoint} for appid ${call.appid} answered something that is not a JSON object`,
      { ...context, status: answer.status },
    )
  }
  const { errcode, errmsg } = reply
  if (errcode !== undefined && errcode !== 0 && errcode !== '0') {
    const numeric = Number(errcode)
    throw new PlatformApiError({
      errcode: numeric,
      errmsg: redactSecrets(typeof errmsg === 'string' ? errmsg : '', { literals: call.secrets }),
      category: categoryOf(numeric, call.tokenEndpoint),
      endpoint: call.endpoint,
      ...context,
    })
  }
  return reply
}

/** A required string field of a reply, or an `E_HTTP` error naming it. */
export function replyString(
  reply: PlatformReply,
  field: string,
  call: Pick<PlatformCall, 'endpoint' | 'appid'>,
): string {
  const value = reply[field]
  if (typeof value !== 'string' || value.length === 0) {
    throw new WechatError('E_HTTP', `${call.endpoint} for appid ${call.appid} answered without ${field}`, {
      appid: call.appid,
    })
  }
  return value
}

/** A positive number field (`expires_in`), or `fallback`. */
export function replySeconds(reply: PlatformReply, field: string, fallback: number): number {
  const value = Number(reply[field])
  return Number.isFinite(value) && value > 0 ? value : fallback
}
