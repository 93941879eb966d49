import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HmacSha256Key } from '../src/auth/hmac-key.js'

/** What the verifier's MAC must equal: Node's own HMAC of the same text and body. */
function reference(secret: string, text: string, body: string | Uint8Array | undefined): Buffer {
  const mac = createHmac('sha256', secret).update(text)
  if (body !== undefined) mac.update(body)
  return mac.digest()
}

describe('HmacSha256Key (the verifier’s HMAC with its pads prepared once)', () => {
  it('equals createHmac for any secret (shorter, equal to and longer than a block), text and body', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200, unit: 'binary' }),
        fc.string({ maxLength: 300, unit: 'binary' }),
        fc.option(fc.uint8Array({ maxLength: 600 }), { nil: undefined }),
        (secret, text, body) => {
          expect(new HmacSha256Key(secret).mac(text, body).equals(reference(secret, text, body))).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('equals createHmac at the edges of its scratch buffer, for string bodies and over many calls with one key', () => {
    const key = new HmacSha256Key('a-secret-of-sixteen-chars')
    const text = 'OB2\n127.0.0.1:8787\n1700000000\nnonce-0001\nPOST\n/getAccessToken\n'
    // Around the 4 KiB scratch buffer: the largest message written there, and the first that takes createHmac.
    for (let size = 4096 - 64 - text.length * 3 - 2; size <= 4096 - 64 - text.length * 3 + 2; size++) {
      const body = Buffer.alloc(size, 0x61)
      expect(key.mac(text, body).equals(reference('a-secret-of-sixteen-chars', text, body))).toBe(true)
    }
    const big = Buffer.alloc(70_000, 0x7b)
    expect(key.mac(text, big).equals(reference('a-secret-of-sixteen-chars', text, big))).toBe(true)
    // A shorter message after longer ones: no byte of an earlier one is hashed again.
    expect(key.mac('x', undefined).equals(reference('a-secret-of-sixteen-chars', 'x', undefined))).toBe(true)
    expect(key.mac(text, '{"a":"é"}').equals(reference('a-secret-of-sixteen-chars', text, '{"a":"é"}'))).toBe(true)
    // Multi-byte text near the bound (3 UTF-8 bytes per unit) is never written truncated.
    const wide = '界'.repeat(1400)
    expect(key.mac(wide, Buffer.from('{}')).equals(reference('a-secret-of-sixteen-chars', wide, '{}'))).toBe(true)
  })
})
