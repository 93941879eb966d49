import { isBridgeError } from '@open-bridge/core'
import { describe, expect, it } from 'vitest'
import { compareFilter, fromDocument, isLiveExpiry, liveIds, toDocument } from '../src/document.js'

/** The error `read` throws (fails the test if it throws nothing). */
function thrownBy(read: () => unknown): { code?: string; field?: string; message: string } {
  try {
    read()
  } catch (error) {
    expect(isBridgeError(error)).toBe(true)
    return error as { code?: string; field?: string; message: string }
  }
  throw new Error('expected an error, nothing was thrown')
}

describe('record ⇄ document', () => {
  it('writes the value as an object and the expiry as a Date', () => {
    const expiresAt = Date.UTC(2030, 0, 1, 8, 0, 0, 123)
    const document = toDocument({ value: { access_token: 'AT', extra: { n: 1 } }, expiresAt })
    expect(document).toEqual({ value: { access_token: 'AT', extra: { n: 1 } }, expired: new Date(expiresAt) })
    expect(document.expired).toBeInstanceOf(Date)
  })

  it('leaves expired out for a record that never expires', () => {
    const document = toDocument({ value: { session_key: 'sk' }, expiresAt: null })
    expect(document).toEqual({ value: { session_key: 'sk' } })
    expect('expired' in document).toBe(false)
  })

  it('reads back what it writes, to the millisecond', () => {
    for (const record of [
      { value: { ticket: 't' }, expiresAt: 1_900_000_000_123 },
      { value: { ticket: 't' }, expiresAt: null },
    ]) {
      expect(fromDocument(toDocument(record))).toEqual(record)
    }
  })

  it('treats a null expired like an absent one: never', () => {
    expect(fromDocument({ value: { access_token: 'a' }, expired: null })).toEqual({
      value: { access_token: 'a' },
      expiresAt: null,
    })
  })

  it("reads uni-open-bridge's layout: value as a JSON string, expired as ms or -1", () => {
    expect(fromDocument({ value: '{"access_token":"legacy","expires_in":7200}', expired: 1_900_000_000_000 })).toEqual({
      value: { access_token: 'legacy', expires_in: 7200 },
      expiresAt: 1_900_000_000_000,
    })
    expect(fromDocument({ value: '{"session_key":"sk"}', expired: -1 })).toEqual({
      value: { session_key: 'sk' },
      expiresAt: null,
    })
  })

  it.each([
    ['a number', 42],
    ['an array', [1, 2]],
    ['a string that is not JSON', 'not json'],
    ['a JSON string of an array', '[1,2]'],
    ['a JSON string of a string', '"text"'],
    ['null', null],
  ])('rejects a stored value that is %s with E_MONGO_CORRUPT_RECORD on field value', (_, value) => {
    expect(thrownBy(() => fromDocument({ value, expired: -1 }))).toMatchObject({
      code: 'E_MONGO_CORRUPT_RECORD',
      field: 'value',
    })
  })

  it.each([
    ['a string', '2030-01-01'],
    ['NaN', Number.NaN],
    ['an invalid Date', new Date(Number.NaN)],
    ['an object', { $date: 1 }],
  ])('rejects a stored expiry that is %s with E_MONGO_CORRUPT_RECORD on field expired', (_, expired) => {
    expect(thrownBy(() => fromDocument({ value: { access_token: 'a' }, expired }))).toMatchObject({
      code: 'E_MONGO_CORRUPT_RECORD',
      field: 'expired',
    })
  })

  it('does not put the stored value into the error message', () => {
    expect(thrownBy(() => fromDocument({ value: 'SECRET-TOKEN-not-json', expired: -1 })).message).not.toContain(
      'SECRET',
    )
  })
})

describe('compareFilter (the fenced write of a refresh-lock holder)', () => {
  const key = 'uni-id:weixin-mp:wx1:access-token'
  const now = 1_800_000_000_000

  it('seen a live record: only the document holding exactly that value and expiry, no upsert', () => {
    const seen = { value: { access_token: 'A', expires_in: 7200 }, expiresAt: now + 60_000 }
    expect(compareFilter(key, seen, now)).toEqual({
      filter: { _id: key, value: { access_token: 'A', expires_in: 7200 }, expired: new Date(now + 60_000) },
      upsert: false,
    })
  })

  it('seen a record that never expires: the document must have no expiry at all', () => {
    expect(compareFilter(key, { value: { access_token: 'A' }, expiresAt: null }, now)).toEqual({
      filter: { _id: key, value: { access_token: 'A' }, expired: { $exists: false } },
      upsert: false,
    })
  })

  it.each([
    ['nothing', undefined],
    ['a record expired by now', { value: { access_token: 'A' }, expiresAt: now }],
  ])('seen %s: an upsert that matches only a document expired by now', (_, seen) => {
    expect(compareFilter(key, seen, now)).toEqual({
      filter: { _id: key, expired: { $lte: new Date(now) } },
      upsert: true,
    })
  })
})

describe('isLiveExpiry (which documents a walk of the store lists)', () => {
  const now = 1_700_000_000_000
  it('is live for never (absent, null, -1) and for an expiry ahead, as a Date or as ms', () => {
    expect(isLiveExpiry(undefined, now)).toBe(true)
    expect(isLiveExpiry(null, now)).toBe(true)
    expect(isLiveExpiry(-1, now)).toBe(true)
    expect(isLiveExpiry(new Date(now + 1), now)).toBe(true)
    expect(isLiveExpiry(now + 1, now)).toBe(true)
  })
  it('is not live from the expiry on, nor for an expiry it cannot read', () => {
    expect(isLiveExpiry(new Date(now), now)).toBe(false)
    expect(isLiveExpiry(now - 1, now)).toBe(false)
    expect(isLiveExpiry('soon', now)).toBe(false)
    expect(isLiveExpiry({ $date: 'x' }, now)).toBe(false)
  })
})

describe('liveIds (the walk over a cursor of { _id, expired })', () => {
  it('yields the _id of each live document in order, passing over expired, unreadable and non-string ids', async () => {
    const now = 1_700_000_000_000
    async function* documents() {
      yield { _id: 'a', expired: new Date(now + 1) }
      yield { _id: 'b', expired: new Date(now - 1) }
      yield { _id: 'c' }
      yield { _id: 42, expired: -1 }
      yield { _id: 'd', expired: 'soon' }
      yield { _id: 'e', expired: -1 }
    }
    const ids: string[] = []
    for await (const id of liveIds(documents(), () => now)) ids.push(id)
    expect(ids).toEqual(['a', 'c', 'e'])
  })
})
