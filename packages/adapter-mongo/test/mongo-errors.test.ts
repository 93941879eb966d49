import { isBridgeError } from '@open-bridge/core'
import { everyRendering } from '@open-bridge/core/testing'
import { describe, expect, it } from 'vitest'
import { isDuplicateKeyError, mongoFailure, MongoStoreError } from '../src/errors.js'

/**
 * How a driver error is classified and masked. The inputs are error objects of the shapes the driver throws
 * (name, code, message); what a real server sends is tested by the suite at MONGODB_URL.
 */
describe('mongoFailure', () => {
  /** An error of the driver's shape: a named Error with an optional numeric code. */
  const driverError = (name: string, message: string, code?: number) =>
    Object.assign(new Error(message), { name, ...(code === undefined ? {} : { code }) })

  it('code 18 (AuthenticationFailed) is E_MONGO_AUTH, the password gone from every rendering', () => {
    const error = mongoFailure(
      'get',
      driverError('MongoServerError', 'Authentication failed for user app with pw-SECRET-9', 18),
      ['pw-SECRET-9'],
    )
    expect(error).toMatchObject({ name: 'MongoStoreError', code: 'E_MONGO_AUTH' })
    expect(error.message).toContain('mongo get failed: authentication failed')
    expect(everyRendering(error)).not.toContain('pw-SECRET-9')
  })

  it('an "authentication failed" message without the code is E_MONGO_AUTH too', () => {
    expect(mongoFailure('set', driverError('MongoError', 'SCRAM: Authentication failed.'), [])).toMatchObject({
      code: 'E_MONGO_AUTH',
    })
  })

  it.each(['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoTopologyClosedError'])(
    '%s is E_MONGO_UNAVAILABLE naming the driver error',
    (name) => {
      const error = mongoFailure('get', driverError(name, 'connect ECONNREFUSED 127.0.0.1:27017'), [])
      expect(error).toMatchObject({ code: 'E_MONGO_UNAVAILABLE' })
      expect(error.message).toContain(name)
    },
  )

  it('anything else is E_MONGO_FAILED with the server code; a written value quoted by the server is masked', () => {
    const error = mongoFailure(
      'compare-and-set',
      driverError('MongoServerError', 'Document failed validation: { access_token: "TOKEN-SECRET-4" }', 121),
      ['TOKEN-SECRET-4'],
    )
    expect(error).toMatchObject({ code: 'E_MONGO_FAILED' })
    expect(error.message).toBe('mongo compare-and-set failed (MongoServerError 121)')
    expect(everyRendering(error)).not.toContain('TOKEN-SECRET-4')
    expect(isBridgeError(error)).toBe(true)
  })

  it('a non-Error thrown value is E_MONGO_FAILED, not a TypeError', () => {
    expect(mongoFailure('get', null, [])).toMatchObject({ code: 'E_MONGO_FAILED' })
    expect(mongoFailure('get', 'a string', [])).toMatchObject({ code: 'E_MONGO_FAILED' })
  })

  it('passes its own errors through unchanged', () => {
    const own = new MongoStoreError('E_MONGO_CORRUPT_RECORD', 'corrupt', { field: 'value' })
    expect(mongoFailure('get', own, [])).toBe(own)
  })
})

describe('isDuplicateKeyError (the refusal of an upserting compare-and-set)', () => {
  it('is true for code 11000 only, by code rather than class', () => {
    expect(isDuplicateKeyError({ name: 'MongoServerError', code: 11000 })).toBe(true)
    expect(isDuplicateKeyError({ name: 'MongoServerError', code: 11001 })).toBe(false)
    expect(isDuplicateKeyError(new Error('E11000 duplicate key'))).toBe(false)
    expect(isDuplicateKeyError(null)).toBe(false)
    expect(isDuplicateKeyError('11000')).toBe(false)
  })
})
