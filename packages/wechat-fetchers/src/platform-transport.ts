import { readBoundedText, redactSecrets, sanitizeCause } from '@open-bridge/core'
import type { Dispatcher } from 'undici'
import { WechatError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import type { PlatformCall } from './platform-call.js'
import { loadUndici } from './undici-loader.js'

/** A 2xx answer to one call: its status, its body as text, and the request URL with every secret masked. */
export interface HttpAnswer {
  status: number
  text: string
  /** The request URL, redacted: safe to put in an error. */
  url: string
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * Sends one call over HTTP, once (retries are the caller's). A network failure becomes `E_TIMEOUT` or `E_HTTP`
 * with a redacted stand-in as its cause, a non-2xx status `E_HTTP` with the status: no URL or message it
 * produces carries a secret. An abort by the bridge (deadline or close) throws the signal's reason instead.
 */
export async function sendOnce(
  call: PlatformCall,
  dispatcher: Dispatcher,
  options: Pick<ResolvedOptions, 'hosts' | 'timeouts' | 'maxReplyBytes'>,
): Promise<HttpAnswer> {
  const query = new URLSearchParams(call.query).toString()
  const url = `${options.hosts[call.host]}${call.path}${query ? `?${query}` : ''}`
  const safeUrl = redactSecrets(url, { literals: call.secrets })
  const context = { appid: call.appid, url: safeUrl }
  let status: number
  let text: string
  try {
    const { request } = await loadUndici()
    const response = await request(url, {
      method: call.method ?? 'GET',
      dispatcher,
      headers: call.body ? { 'content-type': 'application/json' } : {},
      body: call.body ? JSON.stringify(call.body) : null,
      headersTimeout: options.timeouts.headersMs,
      bodyTimeout: options.timeouts.bodyMs,
      signal: call.signal,
    })
    status = response.statusCode
    const read = await readBoundedText(response.body, options.maxReplyBytes, response.headers['content-length'])
    if (!read.ok) {
      const message = `${call.endpoint} for appid ${call.appid} answered more than maxReplyBytes (${options.maxReplyBytes} bytes); the reply was cut and not used`
      throw new WechatError('E_REPLY_TOO_LARGE', message, { ...context, status, field: 'maxReplyBytes' })
    }
    text = read.text
  } catch (error) {
    if (error instanceof WechatError) throw error
    // Aborted by the bridge (deadline or close): its reason is the answer, and nothing is retried.
    call.signal?.throwIfAborted()
    const code = (error as { code?: unknown }).code
    // A stand-in keeping the error's name, code and masked message only: undici errors may carry the request
    // URL, and with it the secret, in fields we do not control.
    const cause = sanitizeCause(error, call.secrets)
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
      throw new WechatError('E_TIMEOUT', `${call.endpoint} for appid ${call.appid} timed out (${code})`, {
        ...context,
        cause,
      })
    }
    throw new WechatError('E_HTTP', `${call.endpoint} for appid ${call.appid} failed: ${cause.message}`, {
      ...context,
      cause,
    })
  }
  if (status < 200 || status >= 300) {
    throw new WechatError('E_HTTP', `${call.endpoint} for appid ${call.appid} answered HTTP ${status}`, {
      ...context,
      status,
    })
  }
  return { status, text, url: safeUrl }
}
