/**
 * Type tests of `sqliteStore` options and errors. Checked by tsc (vitest typecheck), never executed.
 */
import type { CredentialStore } from '@open-bridge/core'
import {
  SqliteStoreError,
  sqliteStore,
  type SqliteStoreErrorCode,
  type SqliteStoreOptions,
} from '@open-bridge/adapter-sqlite'
import { describe, expectTypeOf, test } from 'vitest'

declare const caught: unknown

describe('sqliteStore options', () => {
  test('takes a path and returns a CredentialStore', () => {
    expectTypeOf(sqliteStore({ path: './credentials.db' })).toEqualTypeOf<CredentialStore>()
    expectTypeOf(sqliteStore).toBeCallableWith({
      path: '/var/lib/open-bridge/credentials.db',
      pruneInterval: 60_000,
      busyTimeout: 5_000,
      name: 'durable',
    })
  })

  test('path is required', () => {
    // @ts-expect-error path is required
    sqliteStore({})
    // @ts-expect-error options are required
    sqliteStore()
    expectTypeOf<SqliteStoreOptions['path']>().toEqualTypeOf<string>()
  })

  test('wrong types and unknown options do not compile', () => {
    // @ts-expect-error path is a string
    sqliteStore({ path: new URL('file:///tmp/x.db') })
    // @ts-expect-error pruneInterval is a number of ms
    sqliteStore({ path: 'x.db', pruneInterval: '1m' })
    // @ts-expect-error busyTimeout is a number of ms
    sqliteStore({ path: 'x.db', busyTimeout: true })
    // @ts-expect-error no such option
    sqliteStore({ path: 'x.db', wal: true })
  })
})

describe('SqliteStoreError', () => {
  test('its code is the package union', () => {
    expectTypeOf<SqliteStoreError['code']>().toEqualTypeOf<SqliteStoreErrorCode>()
    expectTypeOf<SqliteStoreErrorCode>().toEqualTypeOf<
      | 'E_INVALID_CONFIG'
      | 'E_SQLITE_CORRUPT_RECORD'
      | 'E_SQLITE_PATH'
      | 'E_SQLITE_SCHEMA'
      | 'E_SQLITE_BUSY'
      | 'E_SQLITE_FAILED'
    >()
    // @ts-expect-error not a sqlite code
    void new SqliteStoreError('E_REDIS_AUTH', 'auth')
  })

  test('instanceof narrows to the package codes', () => {
    if (caught instanceof SqliteStoreError) {
      expectTypeOf(caught.code).toEqualTypeOf<SqliteStoreErrorCode>()
      expectTypeOf(caught.field).toEqualTypeOf<string | undefined>()
    }
  })
})
