import type { Cluster, Redis } from 'ioredis'
import { invalidConfig } from './errors.js'

export interface RedisStoreCommonOptions {
  /** Put in front of every key this store writes (credentials and locks). Default empty: uni-open-bridge's keys. */
  keyPrefix?: string
  /** Name shown in events. Default `redis`. */
  name?: string
  /**
   * Write notices over pub/sub: every write also PUBLISHes its storage key on `<keyPrefix>open-bridge:written`, and
   * the store offers `watch` (one subscriber connection, made on first use), so callers waiting for another
   * process's refresh are woken as the record is written instead of at their next poll. `false`: no PUBLISH, no
   * `watch` (e.g. an ACL that allows no channel); waiters poll. Default `true`.
   */
  notify?: boolean
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
  | {
      client: Redis | Cluster
      url: undefined
      socketTimeout: undefined
      keyPrefix: string
      name: string
      secrets: string[]
      notify: boolean
    }
  | {
      client: undefined
      url: string
      socketTimeout: number
      keyPrefix: string
      name: string
      secrets: string[]
      notify: boolean
    }

/** Node timers take at most 2^31 - 1 ms; a larger delay fires at once (and warns). */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Validates every option before a client is created, so a bad option never leaves a connection behind. */
export function resolveOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidConfig('options', 'redisStore needs an options object: { client } or { url }')
  const given = options as Partial<Record<keyof RedisStoreClientOptions | keyof RedisStoreUrlOptions, unknown>>
  const keyPrefix = given.keyPrefix ?? ''
  if (typeof keyPrefix !== 'string') throw invalidConfig('keyPrefix', 'redisStore keyPrefix must be a string')
  const name = given.name ?? 'redis'
  if (typeof name !== 'string' || name.length === 0)
    throw invalidConfig('name', 'redisStore name must be a non-empty string')
  const notify = given.notify ?? true
  if (typeof notify !== 'boolean') throw invalidConfig('notify', 'redisStore notify must be true or false')

  if (given.client !== undefined) {
    if (given.url !== undefined) throw invalidConfig('url', 'redisStore takes either client or url, not both')
    if (given.socketTimeout !== undefined)
      throw invalidConfig('socketTimeout', 'redisStore socketTimeout goes with url; set it on your own client')
    if (!isRedisClient(given.client))
      throw invalidConfig('client', 'redisStore client must be an ioredis Redis or Cluster instance')
    return { client: given.client, url: undefined, socketTimeout: undefined, keyPrefix, name, secrets: [], notify }
  }

  if (given.url === undefined)
    throw invalidConfig('client', 'redisStore needs client (an ioredis client you own) or url')
  const secrets = checkUrl(given.url)
  const socketTimeout = given.socketTimeout ?? 1_000
  // Half the limit: the first connection waits twice the socket timeout.
  if (
    typeof socketTimeout !== 'number' ||
    !Number.isFinite(socketTimeout) ||
    socketTimeout <= 0 ||
    socketTimeout > MAX_TIMER_MS / 2
  ) {
    throw invalidConfig(
      'socketTimeout',
      `redisStore socketTimeout must be a positive number of milliseconds up to ${Math.floor(MAX_TIMER_MS / 2)}`,
    )
  }
  return { client: undefined, url: given.url as string, socketTimeout, keyPrefix, name, secrets, notify }
}

/**
 * Checks a connection URL the way ioredis will read it, so a malformed one is refused here, naming the part at
 * fault, instead of throwing from inside the driver (a URIError, or a TypeError whose `input` is the whole URL
 * with its password) or failing later on every command. Never quotes the URL. Resolves the strings to mask
 * from driver messages: the user and password, raw and decoded.
 */
function checkUrl(value: unknown): string[] {
  if (typeof value !== 'string') throw invalidConfig('url', 'redisStore url must be a redis:// or rediss:// URL string')
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase()
  if (scheme !== 'redis' && scheme !== 'rediss')
    throw invalidConfig('url.scheme', 'redisStore url must start with redis:// or rediss://')
  // The authority, split by hand: the WHATWG parser refuses some passwords ioredis accepts and says nothing of which part is wrong.
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(value)?.[1] ?? ''
  const at = authority.lastIndexOf('@')
  const userInfo = at === -1 ? '' : authority.slice(0, at)
  const hostPort = at === -1 ? authority : authority.slice(at + 1)
  const colon = userInfo.indexOf(':')
  const user = colon === -1 ? userInfo : userInfo.slice(0, colon)
  const password = colon === -1 ? '' : userInfo.slice(colon + 1)
  const secrets = [user, password].filter((part) => part.length > 0)
  for (const [part, field] of [
    [user, 'url.username'],
    [password, 'url.password'],
  ] as const) {
    try {
      const decoded = decodeURIComponent(part)
      if (decoded.length > 0 && decoded !== part) secrets.push(decoded)
    } catch {
      throw invalidConfig(
        field,
        `redisStore url has a malformed %-escape in its ${field === 'url.username' ? 'user name' : 'password'}`,
      )
    }
  }
  const hostMatch = /^(\[[0-9a-f:.]+\]|[^:[\]]*)(?::(.*))?$/i.exec(hostPort)
  if (!hostMatch) throw invalidConfig('url.host', 'redisStore url has a malformed host')
  const port = hostMatch[2]
  if (port !== undefined && port !== '' && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535)) {
    throw invalidConfig('url.port', 'redisStore url port must be a number from 1 to 65535')
  }
  const rest = value.slice(value.indexOf('//') + 2 + authority.length)
  const path = /^[^?#]*/.exec(rest)?.[0] ?? ''
  if (path !== '' && path !== '/' && !/^\/\d{1,9}$/.test(path))
    throw invalidConfig('url.db', 'redisStore url path must be a database number, e.g. /0')
  const query = new URLSearchParams(/\?([^#]*)/.exec(rest)?.[1] ?? '')
  const db = query.get('db')
  if (db !== null && !/^\d{1,9}$/.test(db)) throw invalidConfig('url.db', 'redisStore url db must be a database number')
  for (const name of ['password', 'username']) {
    const secret = query.get(name)
    if (secret) secrets.push(secret)
  }
  return secrets
}

function isRedisClient(value: unknown): value is Redis | Cluster {
  if (typeof value !== 'object' || value === null) return false
  const client = value as Record<string, unknown>
  return (
    typeof client.defineCommand === 'function' && typeof client.set === 'function' && typeof client.get === 'function'
  )
}
