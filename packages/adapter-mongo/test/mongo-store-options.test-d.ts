/**
 * Type tests of `mongoStore` options and errors. Checked by tsc (vitest typecheck), never executed.
 */
import type { CredentialStore } from '@open-bridge/core'
import {
  MongoStoreError,
  mongoStore,
  type MongoStoreErrorCode,
  type MongoStoreOptions,
} from '@open-bridge/adapter-mongo'
import type { Db } from 'mongodb'
import { describe, expectTypeOf, test } from 'vitest'

declare const caught: unknown

declare const db: Db

describe('mongoStore options', () => {
  test('takes a Db you own, or a url with its dbName, and returns a CredentialStore', () => {
    expectTypeOf(mongoStore({ db })).toEqualTypeOf<CredentialStore>()
    expectTypeOf(mongoStore).toBeCallableWith({ db, collection: 'opendb-open-data', lockCollection: 'locks' })
    expectTypeOf(mongoStore).toBeCallableWith({
      url: 'mongodb://127.0.0.1:27017',
      dbName: 'open-bridge',
      connectTimeout: 2_000,
      serverSelectionTimeout: 2_000,
      name: 'durable',
    })
  })

  test('one of db or url is required; a url needs its dbName', () => {
    // @ts-expect-error neither db nor url
    mongoStore({})
    // @ts-expect-error a url needs dbName
    mongoStore({ url: 'mongodb://127.0.0.1:27017' })
  })

  test('db and url exclude each other; url options go with url only', () => {
    // @ts-expect-error not both
    mongoStore({ db, url: 'mongodb://127.0.0.1:27017', dbName: 'x' })
    // @ts-expect-error a Db already names its database
    mongoStore({ db, dbName: 'x' })
    // @ts-expect-error timeouts are set on your own client
    mongoStore({ db, serverSelectionTimeout: 1_000 })
  })

  test('wrong types and unknown options do not compile', () => {
    // @ts-expect-error db is a mongodb Db
    mongoStore({ db: 'open-bridge' })
    // @ts-expect-error dbName is a string
    mongoStore({ url: 'mongodb://127.0.0.1', dbName: 1 })
    // @ts-expect-error connectTimeout is a number of ms
    mongoStore({ url: 'mongodb://127.0.0.1', dbName: 'x', connectTimeout: '2s' })
    // @ts-expect-error no such option
    mongoStore({ db, ttlIndex: false })
  })

  test('the options type is the union of the two forms', () => {
    const fromConfig: MongoStoreOptions = Math.random() > 0.5 ? { db } : { url: 'mongodb://h', dbName: 'x' }
    expectTypeOf(mongoStore).toBeCallableWith(fromConfig)
  })
})

describe('MongoStoreError', () => {
  test('its code is the package union', () => {
    expectTypeOf<MongoStoreError['code']>().toEqualTypeOf<MongoStoreErrorCode>()
    expectTypeOf<MongoStoreErrorCode>().toEqualTypeOf<
      'E_INVALID_CONFIG' | 'E_MONGO_CORRUPT_RECORD' | 'E_MONGO_UNAVAILABLE' | 'E_MONGO_AUTH' | 'E_MONGO_FAILED'
    >()
    // @ts-expect-error not a mongo code
    void new MongoStoreError('E_SQLITE_BUSY', 'busy')
  })

  test('instanceof narrows to the package codes', () => {
    if (caught instanceof MongoStoreError) expectTypeOf(caught.code).toEqualTypeOf<MongoStoreErrorCode>()
  })
})
