import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto'
import type { CredentialValue } from './credentials.js'
import { isPlainObject } from './record-codec.js'

/**
 * The envelope a sealed tier holds in place of a credential value (version 1). Every field is a string but `ob`:
 *
 * - `ob`: `1`, the envelope version (a reader refuses any other);
 * - `kid`: the id of the key that sealed it;
 * - `n`: the 12-byte AES-GCM nonce, base64 (fresh random bytes for every write);
 * - `c`: the AES-256-GCM ciphertext of the value's UTF-8 JSON, followed by the 16-byte tag, base64.
 *
 * The associated data is the storage key as UTF-8 (`uni-id:<platform>:<appid>[:<openid>]:<type>`), so an envelope
 * copied under another key does not open. The record's `expiresAt` stays beside the envelope, in clear, for the
 * store's TTL; it is not authenticated.
 */
export interface SealedEnvelope {
  readonly ob: 1
  readonly kid: string
  readonly n: string
  readonly c: string
}

export const ENVELOPE_VERSION = 1
const NONCE_BYTES = 12
const TAG_BYTES = 16
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Does the stored value claim to be an envelope (it has an `ob` field)? A plain credential value has none. */
export function isEnvelopeLike(value: object): boolean {
  return Object.hasOwn(value, 'ob')
}

/** The key id of an envelope of a version this build reads, else `undefined`. */
export function envelopeKeyId(value: unknown): string | undefined {
  return isPlainObject(value) && value.ob === ENVELOPE_VERSION && typeof value.kid === 'string' ? value.kid : undefined
}

export function sealValue(storageKey: string, value: object, kid: string, key: KeyObject): SealedEnvelope {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(Buffer.from(storageKey, 'utf8'))
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()])
  return { ob: ENVELOPE_VERSION, kid, n: nonce.toString('base64'), c: body.toString('base64') }
}

/** The parsed fields of a well-formed version-1 envelope, or `undefined`. */
export function parseEnvelope(
  value: Record<string, unknown>,
): { kid: string; nonce: Buffer; body: Buffer } | undefined {
  const { ob, kid, n, c } = value
  if (ob !== ENVELOPE_VERSION || typeof kid !== 'string' || typeof n !== 'string' || typeof c !== 'string') return
  if (!BASE64.test(n) || !BASE64.test(c)) return
  const nonce = Buffer.from(n, 'base64')
  const body = Buffer.from(c, 'base64')
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) return
  return { kid, nonce, body }
}

/** The value inside, or `undefined` when AES-GCM refuses (wrong key, other storage key, a changed byte). */
export function openBody(storageKey: string, nonce: Buffer, body: Buffer, key: KeyObject): CredentialValue | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce)
    decipher.setAAD(Buffer.from(storageKey, 'utf8'))
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
    const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()])
    const value: unknown = JSON.parse(plain.toString('utf8'))
    return isPlainObject(value) ? (value as CredentialValue) : undefined
  } catch {
    return undefined
  }
}
