import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_BODY_BYTES, isByteLimit, readBoundedText } from '../src/index.js'

/** A body of the given chunks that records whether it was destroyed and how many chunks were pulled. */
function body(chunks: (Uint8Array | string)[]) {
  let pulled = 0
  let destroyed = false
  const stream = {
    async *[Symbol.asyncIterator]() {
      for (const chunk of chunks) {
        pulled++
        yield chunk
      }
    },
    destroy() {
      destroyed = true
    },
  }
  return { stream, pulled: () => pulled, destroyed: () => destroyed }
}

describe('readBoundedText', () => {
  it('reads a body within the bound as UTF-8 text, a character split across chunks included', async () => {
    const euro = new TextEncoder().encode('€') // 3 bytes
    const b = body([new TextEncoder().encode('{"a":"'), euro.subarray(0, 1), euro.subarray(1), '"}'])
    expect(await readBoundedText(b.stream, 100)).toEqual({ ok: true, text: '{"a":"€"}', bytes: 11 })
    expect(b.destroyed()).toBe(false)
  })

  it('an answer of exactly maxBytes passes; one byte more stops on that chunk and destroys the body', async () => {
    expect(await readBoundedText(body(['abcd', 'ef']).stream, 6)).toMatchObject({ ok: true, text: 'abcdef' })
    const b = body(['abcd', 'efg', 'never pulled'])
    expect(await readBoundedText(b.stream, 6)).toEqual({ ok: false, bytes: 7, declared: undefined })
    expect(b.destroyed()).toBe(true)
    expect(b.pulled()).toBe(2)
  })

  it('a declared Content-Length over the bound stops before any byte is read', async () => {
    const b = body(['x'])
    expect(await readBoundedText(b.stream, 10, '11')).toEqual({ ok: false, bytes: 0, declared: 11 })
    expect(b.pulled()).toBe(0)
    expect(b.destroyed()).toBe(true)
    expect(await readBoundedText(body(['x']).stream, 10, ['11', '1'])).toMatchObject({ ok: false, declared: 11 })
    expect(await readBoundedText(body(['x']).stream, 10, 11)).toMatchObject({ ok: false, declared: 11 })
  })

  it('a lying or malformed Content-Length does not let more through: bytes are counted anyway', async () => {
    expect(await readBoundedText(body(['0123456789ab']).stream, 10, '5')).toEqual({ ok: false, bytes: 12, declared: 5 })
    for (const bad of ['', 'abc', '-1', '1e9', '99999999999999999999'])
      expect(await readBoundedText(body(['0123456789ab']).stream, 10, bad)).toEqual({
        ok: false,
        bytes: 12,
        declared: undefined,
      })
  })

  it('a Node stream is destroyed when the bound is passed', async () => {
    const stream = Readable.from([Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8)], { objectMode: false })
    expect(await readBoundedText(stream, 10)).toMatchObject({ ok: false, bytes: 16 })
    expect(stream.destroyed).toBe(true)
  })

  it('isByteLimit takes safe integers ≥ 1; the default is 1 MiB', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(1_048_576)
    expect([1, 1024, DEFAULT_MAX_BODY_BYTES].every(isByteLimit)).toBe(true)
    expect([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1', null, undefined].some(isByteLimit)).toBe(false)
  })
})
