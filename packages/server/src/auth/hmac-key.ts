import { createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto'

/** SHA-256's block size: HMAC pads the key to it. */
const BLOCK = 64
/** Room for the pad and a request's signed text and body; a longer message takes `createHmac` instead. */
const SCRATCH_BYTES = 4096

/**
 * HMAC-SHA256 (RFC 2104) under one key, for the verifier's one MAC per request: the key's inner and outer pads
 * are computed once, and each MAC is two one-shot SHA-256 hashes, `H(opad ‖ H(ipad ‖ text ‖ body))`, over
 * buffers kept for the purpose — no `Hmac` object, no key set-up and no new buffer per request (the digests come
 * back as 'binary' (latin1) strings, one character per byte, and are written into the kept buffers). Equal, byte for byte,
 * to `createHmac('sha256', secret).update(text).update(body).digest()` (the tests hold it to that).
 *
 * The pads are as secret as the key; they stay in this object, as the key stayed in a `KeyObject` before.
 */
export class HmacSha256Key {
  /** `ipad ‖ message`: the pad in the first block, each message written after it. */
  readonly #inner = Buffer.alloc(SCRATCH_BYTES)
  /** `opad ‖ inner digest`. */
  readonly #outer = Buffer.alloc(BLOCK + 32)
  /** The last MAC. */
  readonly #mac = Buffer.alloc(32)
  /** For a message that does not fit the scratch buffer. */
  readonly #key: KeyObject

  constructor(secret: string) {
    const given = Buffer.from(secret, 'utf8')
    this.#key = createSecretKey(given)
    // A key longer than a block is hashed first; a shorter one is padded with zeros.
    const key = given.length > BLOCK ? hash('sha256', given, 'buffer') : given
    for (let i = 0; i < BLOCK; i++) {
      const byte = i < key.length ? key[i]! : 0
      this.#inner[i] = byte ^ 0x36
      this.#outer[i] = byte ^ 0x5c
    }
  }

  /**
   * The MAC of `text` (as UTF-8) followed by `body`'s bytes: 32 bytes, in a buffer this object reuses — compare
   * it before the next call (the verifier does, synchronously).
   */
  mac(text: string, body: string | Uint8Array | undefined): Buffer {
    const inner = this.#inner
    // At most 3 bytes per UTF-16 unit: a message that might not fit is never written truncated.
    if (typeof body === 'string' || BLOCK + text.length * 3 + (body?.length ?? 0) > inner.length) {
      const mac = createHmac('sha256', this.#key).update(text)
      if (body !== undefined) mac.update(body)
      mac.digest().copy(this.#mac)
      return this.#mac
    }
    let end = BLOCK + inner.write(text, BLOCK, 'utf8')
    if (body !== undefined) {
      inner.set(body, end)
      end += body.length
    }
    this.#outer.write(hash('sha256', inner.subarray(0, end), 'binary'), BLOCK, 'binary')
    this.#mac.write(hash('sha256', this.#outer, 'binary'), 0, 'binary')
    return this.#mac
  }
}
