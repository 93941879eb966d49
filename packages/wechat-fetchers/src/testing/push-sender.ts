import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { randomInt } from 'node:crypto'
import { isPlainObject, redactSecrets, sanitizeCause } from '@open-bridge/core'
import { WechatError, invalidArgument } from '../errors.js'
import { describeValue } from '../push/describe-value.js'
import { msgSignature, signatureMatches, urlSignature } from '../push/message-signature.js'
import { resolveCryptoOptions, type ResolvedCrypto } from '../push/message-crypto.js'
import { parsePushXml } from '../push/push-xml.js'

/** Which platform's push to imitate. */
export type PushFormat = 'open-platform' | 'wecom'

export interface PushSenderOptions {
  /** The receiver's push Token. */
  token: string
  /** The receiver's EncodingAESKey (43 characters). */
  encodingAESKey: string
  /** The receive id put inside each ciphertext: component appid, appid, corp id or suite id. */
  receiveId: string
  /**
   * `'open-platform'` (default): body `<xml><AppId/><Encrypt/></xml>`, query `timestamp`, `nonce`,
   * `encrypt_type=aes`, `msg_signature` and the plain `signature`, as the authorisation event URL receives them.
   * `'wecom'`: body `<xml><ToUserName/><Encrypt/><AgentID/></xml>`, query `msg_signature`, `timestamp`, `nonce`.
   */
  format?: PushFormat
  /** WeCom's `AgentID` in the envelope. Default `''` (a suite's command callbacks carry none). */
  agentId?: string
  /** How long the platform waits for an answer, in ms. Default 5000 (WeChat gives up after 5 s, then retries). */
  timeoutMs?: number
}

export interface SendOptions {
  /** The push's `timestamp`, Unix seconds. Default now (test staleness with an old one). */
  timestamp?: number
  /** The push's `nonce`. Default 10 random digits. */
  nonce?: string
}

/** What the receiver answered. */
export interface PushReply {
  status: number
  /** The body, as text (at most 1 MiB is read). */
  text: string
  /** The body is the plain string `success` (what ticket and authorisation pushes expect). */
  success: boolean
  /**
   * An encrypted passive reply (`<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`), verified and decrypted
   * as the platform would (a bad reply signature or ciphertext throws `E_PUSH_*`); `undefined` for any other body.
   */
  message: string | undefined
}

/** A push that was sent. */
export interface SentPush {
  /** The URL with the push's query. */
  readonly url: string
  /** The XML body, as sent. */
  readonly body: string
  readonly reply: PushReply
  /** POSTs exactly the same request again: WeChat's retry, or a replay. */
  resend(): Promise<PushReply>
}

export interface UrlCheck {
  status: number
  text: string
  /** The plain echo the receiver had to decrypt. */
  echo: string
  /** The receiver answered exactly the echo (what WeCom requires to save the URL). */
  verified: boolean
}

/**
 * The platform's side of message pushes, for testing your own receiver offline: encrypts as WeChat and WeCom do
 * (WXBizMsgCrypt), signs, and sends over HTTP.
 */
export interface PushSender {
  /** Encrypts `message` (the plaintext XML) and POSTs it to `url` with the push's query; reads the reply. */
  send(url: string | URL, message: string, options?: SendOptions): Promise<SentPush>
  /** WeCom's URL check: a `GET` with `msg_signature`, `timestamp`, `nonce` and an encrypted `echostr`. */
  verifyUrl(url: string | URL, options?: SendOptions & { echo?: string }): Promise<UrlCheck>
}

const MAX_REPLY_BYTES = 1024 * 1024
const SENDER_OPTIONS = new Set(['token', 'encodingAESKey', 'receiveId', 'format', 'agentId', 'timeoutMs'])

/**
 * The fake platform's push sender (see `PushSender`).
 *
 * ```ts
 * const platform = pushSender({ token, encodingAESKey, receiveId: componentAppid })
 * const sent = await platform.send('http://127.0.0.1:3000/open-platform/wx…/events', ticketXml)
 * sent.reply.success // the receiver answered 'success'
 * ```
 */
export function pushSender(options: PushSenderOptions): PushSender {
  if (!isPlainObject(options)) throw invalidArgument('options', `must be an object, not ${describeValue(options)}`)
  for (const name of Object.keys(options))
    if (!SENDER_OPTIONS.has(name)) throw invalidArgument(name, 'is not an option of pushSender')
  const { token, encodingAESKey, receiveId, format = 'open-platform', agentId = '', timeoutMs = 5000 } = options
  const crypto = resolveCryptoOptions({ token, encodingAESKey, receiveId, timestampToleranceSeconds: false })
  if (format !== 'open-platform' && format !== 'wecom')
    throw invalidArgument('format', "must be 'open-platform' or 'wecom'")
  if (typeof agentId !== 'string' || agentId.includes(']]>')) throw invalidArgument('agentId', 'must be a string')
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
    throw invalidArgument('timeoutMs', 'must be a positive integer')

  return {
    async send(url, message, sendOptions = {}) {
      if (typeof message !== 'string')
        throw invalidArgument('message', `must be a string, not ${describeValue(message)}`)
      const { timestamp, nonce } = signedParts(sendOptions)
      const encrypted = crypto.cipher.encrypt(message)
      const target = pushUrl(url)
      const query = target.searchParams
      if (format === 'open-platform') query.set('signature', urlSignature(token, timestamp, nonce))
      query.set('timestamp', timestamp)
      query.set('nonce', nonce)
      if (format === 'open-platform') query.set('encrypt_type', 'aes')
      query.set('msg_signature', msgSignature(token, timestamp, nonce, encrypted))
      const body =
        format === 'open-platform'
          ? `<xml><AppId><![CDATA[${receiveId}]]></AppId><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`
          : `<xml><ToUserName><![CDATA[${receiveId}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt><AgentID><![CDATA[${agentId}]]></AgentID></xml>`
      const post = async (): Promise<PushReply> => {
        const { status, text } = await exchange(target, 'POST', body, timeoutMs)
        return { status, text, success: text === 'success', message: decryptReply(crypto, text) }
      }
      return { url: target.href, body, reply: await post(), resend: post }
    },

    async verifyUrl(url, checkOptions = {}) {
      const echo = checkOptions.echo ?? String(randomInt(1, 2 ** 47))
      if (typeof echo !== 'string' || echo === '') throw invalidArgument('echo', 'must be a non-empty string')
      const { timestamp, nonce } = signedParts(checkOptions)
      const echostr = crypto.cipher.encrypt(echo)
      const target = pushUrl(url)
      target.searchParams.set('msg_signature', msgSignature(token, timestamp, nonce, echostr))
      target.searchParams.set('timestamp', timestamp)
      target.searchParams.set('nonce', nonce)
      target.searchParams.set('echostr', echostr)
      const { status, text } = await exchange(target, 'GET', undefined, timeoutMs)
      return { status, text, echo, verified: status === 200 && text === echo }
    },
  }
}

function signedParts(options: SendOptions): { timestamp: string; nonce: string } {
  const { timestamp = Math.floor(Date.now() / 1000), nonce = String(randomInt(1_000_000_000, 10_000_000_000)) } =
    options ?? {}
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw invalidArgument('options.timestamp', 'must be Unix seconds')
  if (typeof nonce !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(nonce))
    throw invalidArgument('options.nonce', 'must be 1–64 letters or digits')
  return { timestamp: String(timestamp), nonce }
}

function pushUrl(url: string | URL): URL {
  let target: URL
  try {
    target = new URL(String(url))
  } catch {
    throw invalidArgument('url', 'must be an absolute http(s) URL')
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw invalidArgument('url', 'must be an absolute http(s) URL')
  return target
}

/** The reply decrypted when it is an encrypted passive reply; `undefined` for anything else. */
function decryptReply(crypto: ResolvedCrypto, text: string): string | undefined {
  if (!text.trimStart().startsWith('<')) return undefined
  let fields: Readonly<Record<string, string>>
  try {
    fields = parsePushXml(text).fields
  } catch {
    return undefined
  }
  const { Encrypt: encrypted, MsgSignature: signature, TimeStamp: timestamp, Nonce: nonce } = fields
  if (encrypted === undefined) return undefined
  const expected = msgSignature(crypto.token, timestamp ?? '', nonce ?? '', encrypted)
  if (signature === undefined || !signatureMatches(expected, signature))
    throw new WechatError('E_PUSH_SIGNATURE', "the reply's MsgSignature does not match", {
      field: 'MsgSignature',
      appid: crypto.cipher.receiveId,
    })
  return crypto.cipher.decrypt(encrypted, 'Encrypt')
}

/** One HTTP exchange with no connection pool (nothing lingers after a test); the reply read up to 1 MiB. */
function exchange(
  target: URL,
  method: 'GET' | 'POST',
  body: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const shown = redactSecrets(`${target.origin}${target.pathname}`)
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const headers: Record<string, string> =
      body === undefined ? {} : { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(body)) }
    const req = send(target, { method, headers, agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_REPLY_BYTES) {
          clearTimeout(timer)
          req.destroy()
          reject(new WechatError('E_HTTP', `${shown} answered more than ${MAX_REPLY_BYTES} bytes`, { url: shown }))
        } else chunks.push(chunk)
      })
      res.on('end', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })
      })
      res.on('error', fail)
    })
    const timer = setTimeout(() => {
      req.destroy()
      reject(
        new WechatError(
          'E_TIMEOUT',
          `${shown} did not answer within ${timeoutMs} ms (the platform gives up and retries)`,
          { url: shown },
        ),
      )
    }, timeoutMs)
    function fail(error: unknown): void {
      clearTimeout(timer)
      reject(new WechatError('E_HTTP', `${method} ${shown} failed`, { url: shown, cause: sanitizeCause(error) }))
    }
    req.on('error', fail)
    req.end(body)
  })
}
