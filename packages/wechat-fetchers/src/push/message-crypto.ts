import { createHash, randomInt } from 'node:crypto'
import { isPlainObject } from '@open-bridge/core'
import { WechatError, invalidArgument } from '../errors.js'
import { describeValue } from './describe-value.js'
import { PushCipher } from './push-cipher.js'
import { DEFAULT_PUSH_MAX_BYTES, parsePushXml, type PushXmlElement } from './push-xml.js'
import { msgSignature, signatureMatches } from './message-signature.js'

/** A push's URL query: `URLSearchParams`, or an object such as Node's `querystring.parse()` gives. */
export type PushQuery = URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>

export interface MessageCryptoOptions {
  /** The push Token set on the platform (消息校验Token): only ever hashed, never shown. */
  token: string
  /** The EncodingAESKey set on the platform (消息加解密Key): 43 characters of base64. */
  encodingAESKey: string
  /**
   * Whom the messages are for, checked in every decrypted message: the component appid (Open Platform), the appid
   * (an official account or mini program), the corp id (a WeCom corp's own callbacks) or the suite id (a WeCom
   * suite's command callbacks).
   */
  receiveId: string
  /**
   * How far, in seconds, a push's `timestamp` may be from this server's clock, either way; `false`: no check. Default
   * 300 — WeChat retries an unanswered push within seconds, so only a replay or a clock that is off goes past it.
   */
  timestampToleranceSeconds?: number | false
  /** The largest push body `decryptPush` reads, in bytes. Default 262144 (256 KiB; real pushes are a few KiB). */
  maxBodyBytes?: number
  /** The clock, in ms since the epoch. Default `Date.now` (inject one in tests). */
  now?: () => number
}

export interface ReplyOptions {
  /** Unix time in seconds. Default now. */
  timestamp?: number | string
  /** 1–64 letters or digits. Default 10 random digits. */
  nonce?: string
}

/** A push that verified and decrypted. */
export interface DecryptedPush {
  /** The decrypted message, the XML exactly as the platform sent it. */
  readonly message: string
  /** The message's text elements by name (`InfoType`, `ComponentVerifyTicket`, `AuthorizerAppid`, `SuiteTicket`, `AuthCode`, …), nested ones by dotted path. */
  readonly fields: Readonly<Record<string, string>>
  /** The message as a tree (`<xml>`), for repeated elements. */
  readonly root: PushXmlElement
  /**
   * The envelope's other fields (`AppId` on the Open Platform; `ToUserName`, `AgentID` on WeCom). They are outside
   * the signature and the ciphertext: nothing vouches for them; route on your own URL and the receive id.
   */
  readonly envelope: Readonly<Record<string, string>>
  /** The push's `timestamp` (seconds), verified by the signature. */
  readonly timestamp: number
  readonly nonce: string
  /**
   * The same for byte-identical pushes (a retry that repeats the request, a replay) and different for every other:
   * key a duplicate check on it, kept `2 × timestampToleranceSeconds`. It is not the signature. A push that repeats
   * content under a new timestamp (a retry signed anew, a ticket pushed twice) has a new id: handling must be
   * idempotent anyway.
   */
  readonly id: string
}

/**
 * WXBizMsgCrypt for one receiver: verifies, decrypts and encrypts the messages WeChat's Open Platform, official
 * accounts in safe mode and WeCom push. Holds the token and key in a closure: `inspect` and `JSON.stringify` show
 * only `receiveId`.
 */
export interface MessageCrypto {
  readonly receiveId: string
  /**
   * A `POST`ed push: checks the body's size, reads the envelope, verifies `msg_signature` (constant time; the plain
   * `signature` is never used), the timestamp's freshness, decrypts `Encrypt` (32-byte PKCS#7, length, receive id)
   * and reads the message. Throws `WechatError` `E_PUSH_TOO_LARGE`, `E_PUSH_XML`, `E_PUSH_SIGNATURE`,
   * `E_PUSH_STALE`, `E_PUSH_DECRYPT` or `E_PUSH_RECEIVE_ID`; answer those with a 4xx and store nothing.
   */
  decryptPush(query: PushQuery, body: string | Uint8Array): DecryptedPush
  /**
   * WeCom's URL check (a `GET` with `msg_signature`, `timestamp`, `nonce`, `echostr`): verified and decrypted, the
   * text to answer with, as is (no quotes, no newline). Same errors as `decryptPush`.
   */
  verifyUrl(query: PushQuery): string
  /** A passive reply, encrypted and signed: `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`. */
  encryptReply(message: string, options?: ReplyOptions): string
}

/** What `messageCrypto` resolves its options to (the fake's push sender shares it). */
export interface ResolvedCrypto {
  token: string
  cipher: PushCipher
  toleranceSeconds: number | false
  maxBodyBytes: number
  now: () => number
}

const OPTION_NAMES = new Set([
  'token',
  'encodingAESKey',
  'receiveId',
  'timestampToleranceSeconds',
  'maxBodyBytes',
  'now',
])
const VISIBLE_ASCII = /^[\x21-\x7e]{1,128}$/
const RECEIVE_ID = /^[A-Za-z0-9_.-]{1,128}$/
const ENCODING_AES_KEY = /^[A-Za-z0-9+/]{43}$/
const TIMESTAMP = /^[0-9]{1,12}$/
const REPLY_NONCE = /^[A-Za-z0-9]{1,64}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Checks `messageCrypto` options: `E_INVALID_CONFIG` naming the option, never quoting a value. */
export function resolveCryptoOptions(options: MessageCryptoOptions): ResolvedCrypto {
  if (!isPlainObject(options)) throw config('options', `must be an object, not ${describeValue(options)}`)
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.has(name)) continue
    const hint = /aes.?key/i.test(name) ? ' (did you mean encodingAESKey?)' : ''
    throw config(name, `is not an option of messageCrypto${hint}`)
  }
  const { token, encodingAESKey, receiveId, timestampToleranceSeconds, maxBodyBytes, now } = options
  if (typeof token !== 'string' || !VISIBLE_ASCII.test(token))
    throw config('token', 'must be the push Token set on the platform: 1–128 visible ASCII characters')
  if (typeof encodingAESKey !== 'string' || !ENCODING_AES_KEY.test(encodingAESKey)) {
    const got =
      typeof encodingAESKey === 'string' ? `${encodingAESKey.length} characters` : describeValue(encodingAESKey)
    throw config(
      'encodingAESKey',
      `must be the EncodingAESKey set on the platform: 43 characters of base64 (got ${got})`,
    )
  }
  if (typeof receiveId !== 'string' || !RECEIVE_ID.test(receiveId))
    throw config('receiveId', 'must be an appid, corp id or suite id: 1–128 letters, digits, _ . or -')
  if (
    timestampToleranceSeconds !== undefined &&
    timestampToleranceSeconds !== false &&
    (typeof timestampToleranceSeconds !== 'number' ||
      !Number.isFinite(timestampToleranceSeconds) ||
      timestampToleranceSeconds <= 0)
  )
    throw config('timestampToleranceSeconds', 'must be a positive number of seconds, or false for no check')
  if (maxBodyBytes !== undefined && (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1))
    throw config('maxBodyBytes', 'must be a positive integer')
  if (now !== undefined && typeof now !== 'function') throw config('now', 'must be a function returning ms')
  return {
    token,
    cipher: new PushCipher(Buffer.from(`${encodingAESKey}=`, 'base64'), receiveId),
    toleranceSeconds: timestampToleranceSeconds ?? 300,
    maxBodyBytes: maxBodyBytes ?? DEFAULT_PUSH_MAX_BYTES,
    now: now ?? Date.now,
  }
}

/**
 * WXBizMsgCrypt for one receiver (see `MessageCrypto`): one per component, official account, WeCom corp or suite.
 *
 * ```ts
 * const crypto = messageCrypto({ token, encodingAESKey, receiveId: componentAppid })
 * const push = crypto.decryptPush(new URL(req.url!, 'http://x').searchParams, body)
 * if (push.fields.InfoType === 'component_verify_ticket') store(push.fields.ComponentVerifyTicket)
 * ```
 */
export function messageCrypto(options: MessageCryptoOptions): MessageCrypto {
  const resolved = resolveCryptoOptions(options)
  const { token, cipher, maxBodyBytes } = resolved
  const receiveId = cipher.receiveId

  /** The signed parameters of a push, verified against `encrypted`, and fresh. */
  function verify(query: PushQuery, encrypted: string): { timestamp: string; nonce: string } {
    const signature = param(query, 'msg_signature', 64, receiveId)
    const timestamp = param(query, 'timestamp', 12, receiveId)
    const nonce = param(query, 'nonce', 128, receiveId)
    if (!TIMESTAMP.test(timestamp)) throw signatureError('timestamp', 'is not a Unix time in seconds', receiveId)
    if (!signatureMatches(msgSignature(token, timestamp, nonce, encrypted), signature))
      throw signatureError('msg_signature', 'does not match (not from the platform, or another token)', receiveId)
    checkFreshness(resolved, Number(timestamp))
    return { timestamp, nonce }
  }

  return Object.freeze({
    receiveId,

    decryptPush(query: PushQuery, body: string | Uint8Array): DecryptedPush {
      const envelope = parsePushXml(bodyText(body, maxBodyBytes, receiveId), { maxBytes: maxBodyBytes })
      const encrypted = encryptElement(envelope.root, receiveId)
      const { timestamp, nonce } = verify(query, encrypted)
      const message = cipher.decrypt(encrypted, 'Encrypt')
      const parsed = parsePushXml(message, { maxBytes: maxBodyBytes })
      const plain: Record<string, string> = Object.create(null)
      for (const child of envelope.root.children)
        if (child.name !== 'Encrypt' && child.children.length === 0 && !(child.name in plain))
          plain[child.name] = child.text
      return Object.freeze({
        message,
        fields: parsed.fields,
        root: parsed.root,
        envelope: plain,
        timestamp: Number(timestamp),
        nonce,
        id: createHash('sha256').update(`${timestamp}\n${nonce}\n${encrypted}`).digest('hex').slice(0, 32),
      })
    },

    verifyUrl(query: PushQuery): string {
      // A '+' of base64 turns into a space when a query is decoded as a form; base64 has no spaces.
      const echostr = param(query, 'echostr', 4096, receiveId).replaceAll(' ', '+')
      verify(query, echostr)
      return cipher.decrypt(echostr, 'echostr')
    },

    encryptReply(message: string, options: ReplyOptions = {}): string {
      if (typeof message !== 'string')
        throw invalidArgument('message', `must be a string, not ${describeValue(message)}`)
      const timestamp = replyTimestamp(options?.timestamp, resolved.now)
      const nonce = options.nonce ?? String(randomInt(1_000_000_000, 10_000_000_000))
      if (typeof nonce !== 'string' || !REPLY_NONCE.test(nonce))
        throw invalidArgument('options.nonce', 'must be 1–64 letters or digits')
      const encrypted = cipher.encrypt(message)
      const signature = msgSignature(token, timestamp, nonce, encrypted)
      return `<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt><MsgSignature><![CDATA[${signature}]]></MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`
    },
  })
}

function checkFreshness(resolved: ResolvedCrypto, timestamp: number): void {
  if (resolved.toleranceSeconds === false) return
  const offset = Math.round(timestamp - resolved.now() / 1000)
  if (Math.abs(offset) <= resolved.toleranceSeconds) return
  throw new WechatError(
    'E_PUSH_STALE',
    `the push's timestamp is ${Math.abs(offset)} s ${offset < 0 ? 'behind' : 'ahead of'} this server's clock ` +
      `(tolerance ${resolved.toleranceSeconds} s): a replay, or a clock that is off`,
    { field: 'timestamp', appid: resolved.cipher.receiveId },
  )
}

/** One query parameter, present once and at most `max` characters long. */
function param(query: PushQuery, name: string, max: number, receiveId: string): string {
  let values: readonly unknown[]
  if (query instanceof URLSearchParams) values = query.getAll(name)
  else if (typeof query === 'object' && query !== null) {
    const value: unknown = Object.hasOwn(query, name) ? query[name] : undefined
    values = value === undefined ? [] : Array.isArray(value) ? value : [value]
  } else throw invalidArgument('query', `must be URLSearchParams or an object, not ${describeValue(query)}`)
  if (values.length > 1) throw signatureError(name, 'is given more than once', receiveId)
  const value = values[0]
  if (value === undefined || value === '') throw signatureError(name, 'is missing', receiveId)
  if (typeof value !== 'string' || value.length > max) throw signatureError(name, 'is malformed', receiveId)
  return value
}

function bodyText(body: string | Uint8Array, maxBodyBytes: number, receiveId: string): string {
  const size =
    typeof body === 'string'
      ? body.length > maxBodyBytes
        ? maxBodyBytes + 1
        : Buffer.byteLength(body, 'utf8')
      : body instanceof Uint8Array
        ? body.byteLength
        : undefined
  if (size === undefined) throw invalidArgument('body', `must be a string or bytes, not ${describeValue(body)}`)
  if (size > maxBodyBytes)
    throw new WechatError('E_PUSH_TOO_LARGE', `the push body is larger than ${maxBodyBytes} bytes`, {
      field: 'body',
      appid: receiveId,
    })
  if (typeof body === 'string') return body
  try {
    return utf8.decode(body)
  } catch {
    throw new WechatError('E_PUSH_XML', 'the push body is not UTF-8 text', { field: 'body', appid: receiveId })
  }
}

/** The envelope's one `Encrypt` text. */
function encryptElement(root: PushXmlElement, receiveId: string): string {
  const found = root.children.filter((child) => child.name === 'Encrypt')
  const problem =
    found.length === 0
      ? 'has no <Encrypt> (a plaintext push? the platform must be in safe mode)'
      : found.length > 1
        ? 'has more than one <Encrypt>'
        : found[0]!.children.length > 0 || found[0]!.text === ''
          ? 'has an empty <Encrypt>'
          : undefined
  if (problem !== undefined)
    throw new WechatError('E_PUSH_XML', `the push body ${problem}`, { field: 'Encrypt', appid: receiveId })
  return found[0]!.text
}

function replyTimestamp(value: unknown, now: () => number): string {
  if (value === undefined) return String(Math.floor(now() / 1000))
  const text = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value
  if (typeof text !== 'string' || !TIMESTAMP.test(text))
    throw invalidArgument('options.timestamp', 'must be a Unix time in seconds')
  return text
}

function signatureError(field: string, problem: string, receiveId: string): WechatError {
  return new WechatError('E_PUSH_SIGNATURE', `the push's ${field} ${problem}`, { field, appid: receiveId })
}

function config(field: string, problem: string): WechatError {
  return new WechatError('E_INVALID_CONFIG', `messageCrypto: ${field} ${problem}`, { field })
}
