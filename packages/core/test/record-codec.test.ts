import {
  asStoredRecord,
  isExpiresAt,
  isLive,
  isPlainObject,
  parseJsonObject,
  secretStringsOf,
  ttlMsOf,
  type StoredRecord,
} from '@open-bridge/core'
import { describe, expect, it } from 'vitest'

const NOW = 1_700_000_000_000
const value = { access_token: 'AT' }

describe('isLive', () => {
  it('is live while expiresAt is ahead, dead from that very ms on; never expires with null', () => {
    expect(isLive({ value, expiresAt: NOW + 1 }, NOW)).toBe(true)
    expect(isLive({ value, expiresAt: NOW }, NOW)).toBe(false)
    expect(isLive({ value, expiresAt: NOW - 1 }, NOW)).toBe(false)
    expect(isLive({ value, expiresAt: null }, NOW)).toBe(true)
  })
})

describe('ttlMsOf', () => {
  it('is the ms left rounded up, 0 or less once dead, null for never', () => {
    expect(ttlMsOf({ value, expiresAt: NOW + 1_000 }, NOW)).toBe(1_000)
    expect(ttlMsOf({ value, expiresAt: NOW + 0.25 }, NOW)).toBe(1)
    expect(ttlMsOf({ value, expiresAt: NOW }, NOW)).toBe(0)
    expect(ttlMsOf({ value, expiresAt: NOW - 5 }, NOW)).toBe(-5)
    expect(ttlMsOf({ value, expiresAt: null }, NOW)).toBeNull()
  })

  it('agrees with isLive: a positive ttl exactly when the record is live', () => {
    for (const expiresAt of [NOW - 1, NOW - 0.5, NOW, NOW + 0.5, NOW + 1]) {
      const record: StoredRecord = { value, expiresAt }
      expect((ttlMsOf(record, NOW) ?? 1) > 0).toBe(isLive(record, NOW))
    }
  })
})

describe('isPlainObject', () => {
  it('takes objects, not null, arrays or Dates', () => {
    expect(isPlainObject({})).toBe(true)
    expect(isPlainObject(Object.create(null))).toBe(true)
    for (const other of [null, undefined, [], new Date(), 'x', 1]) expect(isPlainObject(other)).toBe(false)
  })
})

describe('parseJsonObject', () => {
  it('parses the JSON of an object', () => {
    expect(parseJsonObject('{"access_token":"AT","n":1}')).toEqual({ access_token: 'AT', n: 1 })
  })

  it.each([
    ['invalid JSON', '{"access_token":'],
    ['an array', '[1,2]'],
    ['null', 'null'],
    ['a string', '"AT"'],
    ['a number', '42'],
    ['empty text', ''],
  ])('is undefined for %s', (_, text) => {
    expect(parseJsonObject(text)).toBeUndefined()
  })
})

describe('isExpiresAt', () => {
  it('takes a finite number of ms or null', () => {
    for (const ok of [null, 0, NOW, -1]) expect(isExpiresAt(ok)).toBe(true)
    for (const bad of [undefined, Number.NaN, Number.POSITIVE_INFINITY, '1700000000000', {}]) {
      expect(isExpiresAt(bad)).toBe(false)
    }
  })
})

describe('asStoredRecord', () => {
  it('returns { value, expiresAt } of a record, leaving other fields behind', () => {
    expect(asStoredRecord({ value, expiresAt: NOW, extra: 1 })).toEqual({ value, expiresAt: NOW })
    expect(asStoredRecord({ value, expiresAt: null })).toEqual({ value, expiresAt: null })
  })

  it.each([
    ['undefined', undefined],
    ['a string', 'SECRET'],
    ['no expiresAt', { value }],
    ['a malformed expiresAt', { value, expiresAt: '1' }],
    ['an array value', { value: ['AT'], expiresAt: null }],
    ['a null value', { value: null, expiresAt: null }],
  ])('is undefined for %s', (_, stored) => {
    expect(asStoredRecord(stored)).toBeUndefined()
  })
})

describe('secretStringsOf', () => {
  it('lists the JSON, each string of 6+ characters raw and JSON-escaped, nested ones too', () => {
    const written = { access_token: 'AT-"quoted"-1', kind: 'short', nested: { list: ['deep-secret', 42] } }
    const found = secretStringsOf(written)
    expect(found).toContain(JSON.stringify(written))
    expect(found).toContain('AT-"quoted"-1')
    expect(found).toContain('AT-\\"quoted\\"-1')
    expect(found).toContain('deep-secret')
    expect(found).not.toContain('short')
  })

  it('stops at a bounded depth instead of walking a hostile value for ever', () => {
    let deep: Record<string, unknown> = { token: 'too-deep-secret' }
    for (let i = 0; i < 20; i++) deep = { inner: deep }
    expect(secretStringsOf(deep)).toHaveLength(1)
  })
})
