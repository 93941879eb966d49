import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { WechatError, type WechatErrorCode } from '../errors.js'

/** WXBizMsgCrypt pads to a multiple of 32 bytes (PKCS#7 with K = 32): 1…32 bytes, each holding the count. */
const PAD_BLOCK = 32
/** 16 random bytes, then the message's length as 4 bytes big-endian. */
const HEADER_BYTES = 20
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * AES-256-CBC as WXBizMsgCrypt uses it, for one receiver: key = base64(EncodingAESKey + '='), IV = the key's first
 * 16 bytes; plaintext = 16 random bytes + 4-byte big-endian length + message + receive id, padded PKCS#7 to 32-byte
 * blocks. Node's automatic padding is PKCS#7 to 16 bytes and throws on a pad over 16, so it is off and the pad is
 * added, checked and stripped here.
 *
 * Decrypt only what carries a matching `msg_signature`: the signature, which needs the token, is what keeps an
 * outsider from using pad errors as an oracle.
 */
export class PushCipher {
  readonly #key: Buffer
  readonly #iv: Buffer
  readonly #receiveId: Buffer

  /** `key`: the 32 bytes of a validated EncodingAESKey. */
  constructor(
    key: Buffer,
    readonly receiveId: string,
  ) {
    this.#key = key
    this.#iv = key.subarray(0, 16)
    this.#receiveId = Buffer.from(receiveId, 'utf8')
  }

  /** The base64 `Encrypt` value for `message`. `random` (16 bytes) only to reproduce a published vector. */
  encrypt(message: string, random: Uint8Array = randomBytes(16)): string {
    const body = Buffer.from(message, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(body.length)
    const plain = Buffer.concat([random, length, body, this.#receiveId])
    const pad = PAD_BLOCK - (plain.length % PAD_BLOCK)
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false)
    return Buffer.concat([cipher.update(plain), cipher.update(Buffer.alloc(pad, pad)), cipher.final()]).toString(
      'base64',
    )
  }

  /**
   * The message inside `encrypted`, after checking the pad, the length field and the receive id. `field` names the
   * value in errors (`Encrypt`, `echostr`); no error carries a byte of the ciphertext or the plaintext.
   */
  decrypt(encrypted: string, field: string): string {
    if (encrypted.length % 4 !== 0 || !BASE64.test(encrypted))
      throw this.#error('E_PUSH_DECRYPT', `${field} is not base64`, field)
    const data = Buffer.from(encrypted, 'base64')
    if (data.length < PAD_BLOCK || data.length % 16 !== 0)
      throw this.#error('E_PUSH_DECRYPT', `${field} is not whole AES blocks (${data.length} bytes)`, field)
    const decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv).setAutoPadding(false)
    const plain = Buffer.concat([decipher.update(data), decipher.final()])
    const pad = plain[plain.length - 1]!
    if (pad < 1 || pad > PAD_BLOCK || !plain.subarray(plain.length - pad).every((byte) => byte === pad))
      throw this.#error('E_PUSH_DECRYPT', `${field} has a bad PKCS#7 pad (wrong EncodingAESKey?)`, field)
    const content = plain.subarray(0, plain.length - pad)
    if (content.length < HEADER_BYTES)
      throw this.#error('E_PUSH_DECRYPT', `${field} is too short for its header`, field)
    const end = HEADER_BYTES + content.readUInt32BE(16)
    if (end > content.length)
      throw this.#error('E_PUSH_DECRYPT', `${field}'s length field runs past its end (wrong EncodingAESKey?)`, field)
    const receiveId = content.subarray(end)
    if (!receiveId.equals(this.#receiveId))
      throw this.#error(
        'E_PUSH_RECEIVE_ID',
        `${field} is addressed to another receiver, not ${this.receiveId} (another app's push, or its key)`,
        field,
      )
    try {
      return utf8.decode(content.subarray(HEADER_BYTES, end))
    } catch {
      throw this.#error('E_PUSH_DECRYPT', `${field} does not decrypt to UTF-8 text`, field)
    }
  }

  #error(code: WechatErrorCode, message: string, field: string): WechatError {
    return new WechatError(code, message, { field, appid: this.receiveId })
  }
}
