import { createHash, randomBytes } from 'node:crypto'
import type { AppKey, CredentialBridge, ResolvedKey, TicketType } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import { resolveKey } from './resolve-key.js'

export interface JsapiSignature {
  appId: string
  timestamp: number
  nonceStr: string
  signature: string
}

/** The timestamp and nonce of a signature. Fixed values make it reproducible (tests); by default both are fresh. */
export interface SignatureInputs {
  timestamp?: number
  nonceStr?: string
}

export interface JsapiSignatureInput extends SignatureInputs {
  /** The full http(s) URL of the page; its `#…` part is dropped. */
  url: string
}

/**
 * The `wx.config` signature for a page: sha1("jsapi_ticket=T&noncestr=N&timestamp=S&url=U"), keys in
 * ASCII order, raw values, with the URL's `#…` part stripped (the most common cause of "invalid signature").
 * The jsapi ticket comes from the bridge (fetched by the source when missing).
 */
export async function jsapiSignature(
  bridge: CredentialBridge,
  key: AppKey,
  input: JsapiSignatureInput,
): Promise<JsapiSignature> {
  const app = resolveKey(bridge, 'access_token', key).key
  if (typeof input?.url !== 'string' || !/^https?:\/\//.test(input.url))
    throw invalidArgument('url', 'must be the full http(s) URL of the page')
  const url = input.url.replace(/#[\s\S]*$/, '')
  const ticket = await ticketOf(bridge, app, 'jsapi')
  const { timestamp, nonceStr } = inputs(input)
  const signature = sha1(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`)
  return { appId: app.appid, timestamp, nonceStr, signature }
}

export interface CardSignatureInput extends SignatureInputs {
  cardId?: string
  code?: string
  openid?: string
  balance?: string
}

/**
 * The wx_card (卡券) signature: sha1 of the sorted values (api_ticket, timestamp, nonce_str and the given
 * card fields) concatenated. The wx_card ticket comes from the bridge.
 */
export async function cardSignature(
  bridge: CredentialBridge,
  key: AppKey,
  input: CardSignatureInput = {},
): Promise<{ timestamp: number; nonceStr: string; signature: string }> {
  const app = resolveKey(bridge, 'access_token', key).key
  const ticket = await ticketOf(bridge, app, 'wx_card')
  const { timestamp, nonceStr } = inputs(input)
  const values = [ticket, String(timestamp), nonceStr, input.cardId, input.code, input.openid, input.balance].filter(
    (value): value is string => typeof value === 'string' && value.length > 0,
  )
  return { timestamp, nonceStr, signature: sha1(values.sort().join('')) }
}

async function ticketOf(
  bridge: CredentialBridge,
  key: Pick<ResolvedKey, 'appid' | 'platform'>,
  ticketType: TicketType,
): Promise<string> {
  const value = await bridge.getTicket({ appid: key.appid, platform: key.platform, ticketType })
  if (value === null) {
    throw new WechatError(
      'E_TICKET_MISSING',
      `no ${ticketType} ticket could be had for appid ${key.appid} on platform ${key.platform}`,
      { appid: key.appid },
    )
  }
  return value.ticket
}

/** The timestamp and nonce of a signature: the given ones, checked, or fresh ones (shared with WeCom's helpers). */
export function inputs(input: SignatureInputs): { timestamp: number; nonceStr: string } {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000)
  if (!Number.isInteger(timestamp) || timestamp <= 0)
    throw invalidArgument('timestamp', 'must be a positive integer of seconds')
  const nonceStr = input.nonceStr ?? freshNonce()
  if (typeof nonceStr !== 'string' || nonceStr.length === 0)
    throw invalidArgument('nonceStr', 'must be a non-empty string')
  return { timestamp, nonceStr }
}

/** Random bytes drawn from the CSPRNG 3 KiB at a time: one `randomBytes` call per 256 nonces, not one per signature. */
let noncePool = Buffer.alloc(0)
let nonceOffset = 0

/** 16 characters of base64url from 12 fresh random bytes (never reused). */
function freshNonce(): string {
  if (nonceOffset + 12 > noncePool.length) {
    noncePool = randomBytes(12 * 256)
    nonceOffset = 0
  }
  const nonce = noncePool.toString('base64url', nonceOffset, nonceOffset + 12)
  nonceOffset += 12
  return nonce
}

/** Lower-case hex sha1 of `text`. */
export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex')
}
