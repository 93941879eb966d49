/**
 * Type tests of `redisStore` options and errors. Checked by tsc (vitest typecheck), never executed.
 */
import type { CredentialStore } from '@open-bridge/core'
import {
  RedisStoreError,
  redisStore,
  type RedisStoreErrorCode,
  type RedisStoreOptions,
  type RedisStoreUrlOptions,
} from '@open-bridge/adapter-redis'
import type { Cluster, Redis } from 'ioredis'
import { describe, expectTypeOf, test } from 'vitest'

declare const caught: unknown

declare const client: Redis
declare const cluster: Cluster

describe('redisStore options', () => {
  test('takes a client you own (Redis or Cluster) or a url, and returns a CredentialStore', () => {
    expectTypeOf(redisStore({ client })).toEqualTypeOf<CredentialStore>()
    expectTypeOf(redisStore).toBeCallableWith({ client: cluster, keyPrefix: 'app:', name: 'shared' })
    expectTypeOf(redisStore).toBeCallableWith({ url: 'redis://127.0.0.1:6379/0', socketTimeout: 500 })
    expectTypeOf<RedisStoreUrlOptions['socketTimeout']>().toEqualTypeOf<number | undefined>()
  })

  test('one of client or url is required', () => {
    // @ts-expect-error neither client nor url
    redisStore({})
    // @ts-expect-error neither client nor url
    redisStore({ keyPrefix: 'app:' })
  })

  test('client and url exclude each other; socketTimeout goes with url only', () => {
    // @ts-expect-error not both
    redisStore({ client, url: 'redis://127.0.0.1' })
    // @ts-expect-error socketTimeout is set on your own client
    redisStore({ client, socketTimeout: 500 })
  })

  test('wrong types and unknown options do not compile', () => {
    // @ts-expect-error url is a string
    redisStore({ url: new URL('redis://127.0.0.1') })
    // @ts-expect-error client is an ioredis client
    redisStore({ client: { host: '127.0.0.1' } })
    // @ts-expect-error keyPrefix is a string
    redisStore({ client, keyPrefix: 1 })
    // @ts-expect-error socketTimeout is a number of ms
    redisStore({ url: 'redis://127.0.0.1', socketTimeout: '1s' })
    // @ts-expect-error no such option
    redisStore({ url: 'redis://127.0.0.1', password: 'p' })
  })

  test('the options type is the union of the two forms', () => {
    const fromConfig: RedisStoreOptions = Math.random() > 0.5 ? { client } : { url: 'redis://127.0.0.1' }
    expectTypeOf(redisStore).toBeCallableWith(fromConfig)
  })
})

describe('RedisStoreError', () => {
  test('its code is the package union', () => {
    expectTypeOf<RedisStoreError['code']>().toEqualTypeOf<RedisStoreErrorCode>()
    expectTypeOf<RedisStoreErrorCode>().toEqualTypeOf<
      'E_INVALID_CONFIG' | 'E_REDIS_CORRUPT_RECORD' | 'E_REDIS_AUTH' | 'E_REDIS_REFUSED' | 'E_REDIS_UNAVAILABLE'
    >()
    // @ts-expect-error not a redis code
    void new RedisStoreError('E_SQLITE_BUSY', 'busy')
  })

  test('instanceof narrows to the package codes', () => {
    if (caught instanceof RedisStoreError) {
      expectTypeOf(caught.code).toEqualTypeOf<RedisStoreErrorCode>()
      // @ts-expect-error a code this package never throws
      void (caught.code === 'E_MONGO_AUTH')
    }
  })
})

describe('notify', () => {
  test('an optional boolean beside url or client', () => {
    redisStore({ url: 'redis://127.0.0.1:6379', notify: false })
    // @ts-expect-error a boolean, not a string
    redisStore({ url: 'redis://127.0.0.1:6379', notify: 'off' })
  })
})
