import { describe, expect, it } from 'vitest'
import { createBridge, escapeUnsafe, isBridgeError, memoryStore, QUOTE_MAX_LENGTH, quoteValue } from '../src/index.js'

/** What must never reach a message from a value: C0/C1 controls, NUL, bidi overrides and marks, line separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_OUT = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/

describe('quoteValue: a value from outside, as a message may echo it', () => {
  it('quotes and escapes NUL, controls, a right-to-left override, bidi isolates, zero-width and line separators', () => {
    expect(quoteValue('wx123')).toBe('"wx123"')
    expect(quoteValue('wx\u202Eexe.txt\u0000')).toBe('"wx\\u202eexe.txt\\u0000"')
    expect(quoteValue('a\nb\r\tc"d\\')).toBe('"a\\nb\\r\\tc\\"d\\\\"')
    const nasty = 'x\u0007\u001b[31m\u007f\u0085\u200b\u200e\u2028\u2029\u2066\u2069\ufeff\u061c\ud800'
    const quoted = quoteValue(nasty)
    expect(quoted).not.toMatch(UNSAFE_OUT)
    expect(quoted).toBe(
      '"x\\u0007\\u001b[31m\\u007f\\u0085\\u200b\\u200e\\u2028\\u2029\\u2066\\u2069\\ufeff\\u061c\\ud800"',
    )
  })

  it('bounds the length (… after the quote) and names a non-string by its type only', () => {
    expect(quoteValue('a'.repeat(QUOTE_MAX_LENGTH))).toBe(`"${'a'.repeat(QUOTE_MAX_LENGTH)}"`)
    expect(quoteValue('a'.repeat(10_000))).toBe(`"${'a'.repeat(QUOTE_MAX_LENGTH)}"…`)
    expect(quoteValue('abcdef', 3)).toBe('"abc"…')
    expect([42, null, undefined, {}, [], true, 1n].map((v) => quoteValue(v))).toEqual([
      'a number',
      'null',
      'undefined',
      'an object',
      'an array',
      'a boolean',
      'a bigint',
    ])
  })

  it('escapeUnsafe keeps a message readable (tabs, line feeds) and escapes the rest', () => {
    expect(escapeUnsafe("unknown option '--b\u202Eo\u0000g'\n\tnext")).toBe(
      "unknown option '--b\\u202eo\\u0000g'\n\tnext",
    )
  })

  it("core's E_UNKNOWN_APP echoes the dcloudAppid as sent through it: no bidi override or NUL in the message", async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    try {
      await bridge.getAccessToken({ dcloudAppid: '__UNI__\u202Eevil\u0000', platform: 'weixin-mp' })
      expect.unreachable()
    } catch (error) {
      expect(isBridgeError(error, 'E_UNKNOWN_APP')).toBe(true)
      const { message } = error as Error
      expect(message).toContain('"__UNI__\\u202eevil\\u0000"')
      expect(message).not.toMatch(UNSAFE_OUT)
    } finally {
      await bridge.close()
    }
  })
})
