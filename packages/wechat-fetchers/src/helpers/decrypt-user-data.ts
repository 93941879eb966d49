import { createDecipheriv } from 'node:crypto'
import { WechatError } from '../errors.js'
import { nonEmpty } from './non-empty.js'

export interface DecryptInput {
  /** The user's session_key (base64). */
  sessionKey: string
  /** `encryptedData` from the mini-program (base64). */
  encryptedData: string
  /** `iv` from the mini-program (base64). */
  iv: string
  /** Your appid: the decrypted watermark must name it. */
  appid: string
}

/**
 * Decrypts mini-program `encryptedData` (AES-128-CBC, PKCS#7) and checks that `watermark.appid` is the
 * caller's appid — data encrypted for another app is rejected with E_WATERMARK_MISMATCH.
 */
export function decryptUserData<T extends Record<string, unknown> = Record<string, unknown>>(
  input: DecryptInput,
): T & { watermark: { appid: string; timestamp?: number } } {
  const key = bytes(input?.sessionKey, 'sessionKey')
  const iv = bytes(input.iv, 'iv')
  const data = Buffer.from(nonEmpty(input.encryptedData, 'encryptedData'), 'base64')
  const appid = nonEmpty(input.appid, 'appid')
  let parsed: unknown
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, iv)
    parsed = JSON.parse(Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8'))
  } catch {
    // The cause is not attached: it could hold fragments of decrypted data.
    throw new WechatError(
      'E_DECRYPT',
      'encryptedData could not be decrypted (wrong session_key or iv, bad padding, or not JSON)',
      { field: 'encryptedData' },
    )
  }
  const watermark = (parsed as { watermark?: { appid?: unknown } } | null)?.watermark
  if (typeof parsed !== 'object' || parsed === null || watermark?.appid !== appid) {
    throw new WechatError('E_WATERMARK_MISMATCH', `the decrypted data's watermark does not name appid ${appid}`, {
      appid,
      field: 'watermark.appid',
    })
  }
  return parsed as T & { watermark: { appid: string; timestamp?: number } }
}

/** A 16-byte base64 value (AES-128 key or iv). */
function bytes(value: unknown, field: string): Buffer {
  const buffer = Buffer.from(nonEmpty(value, field), 'base64')
  if (buffer.length !== 16) throw new WechatError('E_DECRYPT', `${field} must be 16 bytes in base64`, { field })
  return buffer
}
