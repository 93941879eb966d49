import type { Cluster, Redis } from 'ioredis'
import { RedisStoreError } from './errors.js'

interface RedisStoreCommonOptions {
  /** Put in front of every key this store writes (credentials and locks). Default empty: uni-open-bridge's keys. */
  keyPrefix?: string
  /** Name shown in events. Default `redis`. */
  name?: string
}

/**
 * Use a client you own (a `Redis`, a Sentinel-backed `Redis` or a `Cluster`). The store never quits it.
 * Give it `enableOfflineQueue: false` and a `socketTimeout`, or reads wait while Redis is down (see README).
 */
export interface RedisStoreClientOptions extends RedisStoreCommonOptions {
  client: Redis | Cluster
  url?: undefined
  socketTimeout?: undefined
}

/** Let the store create its own fail-fast client (and quit it on `close()`). */
export interface RedisStoreUrlOptions extends RedisStoreCommonOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. Never echoed in errors. */
  url: string
  client?: undefined
  /**
   * Longest the connection may stay silent while commands wait, in ms; then it is dropped, those commands
   * fail (the bridge moves on to the next tier) and the client reconnects. Default 1000.
   */
  socketTimeout?: number
}

export type RedisStoreOptions = RedisStoreClientOptions | RedisStoreUrlOptions

export type ResolvedRedisStoreOptions =
  | { client: Redis | Cluster; url: undefined; socketTimeout: undefined; keyPrefix: string; name: string }
  | { client: undefined; url: string; socketTimeout: number; keyPrefix: string; name: string }

/** Validates every option before a client is created, so a bad option never leaves a connection behind. */
export function resolveOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  if (typeof options !== 'object' || options === null) invalid('options', 'redisStore needs an options object: { client } or { url }')
  const given = options as Partial<Record<keyof RedisStoreClientOptions | keyof RedisStoreUrlOptions, unknown>>
  const keyPrefix = given.keyPrefix ?? ''
  if (typeof keyPrefix !== 'string') invalid('keyPrefix', 'redisStore keyPrefix must be a string')
  const name = given.name ?? 'redis'
  if (typeof name !== 'string' || name.length === 0) invalid('name', 'redisStore name must be a non-empty string')

  if (given.client !== undefined) {
    if (given.url !== undefined) invalid('url', 'redisStore takes either client or url, not both')
    if (given.socketTimeout !== undefined) invalid('socketTimeout', 'redisStore socketTimeout goes with url; set it on your own client')
    if (!isRedisClient(given.client)) invalid('client', 'redisStore client must be an ioredis Redis or Cluster instance')
    return { client: given.client, url: undefined, socketTimeout: undefined, keyPrefix, name }
  }

  if (given.url === undefined) invalid('client', 'redisStore needs client (an ioredis client you own) or url')
  if (typeof given.url !== 'string' || !/^rediss?:\/\/./.test(given.url)) invalid('url', 'redisStore url must be a redis:// or rediss:// URL')
  const socketTimeout = given.socketTimeout ?? 1_000
  if (typeof socketTimeout !== 'number' || !Number.isFinite(socketTimeout) || socketTimeout <= 0) {
    invalid('socketTimeout', 'redisStore socketTimeout must be a positive number of milliseconds')
  }
  return { client: undefined, url: given.url, socketTimeout, keyPrefix, name }
}

function isRedisClient(value: unknown): value is Redis | Cluster {
  if (typeof value !== 'object' || value === null) return false
  const client = value as Record<string, unknown>
  return typeof client.defineCommand === 'function' && typeof client.set === 'function' && typeof client.get === 'function'
}

function invalid(field: string, message: string): never {
  throw new RedisStoreError('E_INVALID_CONFIG', message, { field })
}
