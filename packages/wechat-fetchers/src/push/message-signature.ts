import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * WXBizMsgCrypt's `msg_signature`: sha1 of the token, timestamp, nonce and the Encrypt value (or `echostr`), sorted
 * and joined, in lower-case hex. The plain `signature` WeChat adds to the URL covers only the first three: it says
 * nothing about the body and is never checked here.
 */
export function msgSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest('hex')
}

/** The URL's plain `signature` (sha1 of the sorted token, timestamp and nonce): what the fake sends alongside. */
export function urlSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex')
}

const HEX_SHA1 = /^[0-9a-f]{40}$/i

/** Whether `given` is `expected` (40 hex digits, any case), compared in constant time. */
export function signatureMatches(expected: string, given: string): boolean {
  if (!HEX_SHA1.test(given)) return false
  return timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(given.toLowerCase(), 'latin1'))
}
