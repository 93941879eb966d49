import { MongoClient, type Db } from 'mongodb'
import { callerConnection, ownConnection, type MongoConnection } from './connection.js'
import { invalidConfig } from './errors.js'

export interface MongoStoreCommonOptions {
  /** Collection of credentials. Default `opendb-open-data`, the one uni-open-bridge uses. */
  collection?: string
  /** Collection of refresh locks. Default `open-bridge-locks`. */
  lockCollection?: string
  /** Name shown in events. Default `mongo`. */
  name?: string
}

/** Use a database of a client you own: the store never closes it. */
export interface MongoStoreDbOptions extends MongoStoreCommonOptions {
  db: Db
  url?: undefined
  dbName?: undefined
  connectTimeout?: undefined
  serverSelectionTimeout?: undefined
}

/** Let the store create (and on `close()`, close) its own client. */
export interface MongoStoreUrlOptions extends MongoStoreCommonOptions {
  /** `mongodb://…` or `mongodb+srv://…`. Never echoed in errors (it may hold a password). */
  url: string
  dbName: string
  db?: undefined
  /** Longest a TCP connection may take to open, in ms. Default 2,000 (the driver's is 30,000). */
  connectTimeout?: number
  /**
   * Longest an operation waits for a usable server, in ms. Default 2,000 (the driver's is 30,000). After a
   * failure the store drops its client and builds a new one, after a pause growing from 200 ms to 10 s.
   */
  serverSelectionTimeout?: number
}

/** Node timers take at most 2^31 - 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export type MongoStoreOptions = MongoStoreDbOptions | MongoStoreUrlOptions

export interface ResolvedMongoStoreOptions {
  /** The caller's `db` as is, or the store's own client (closed by `close()`, rebuilt after failures). */
  connection: MongoConnection
  /** Strings to mask from driver messages: the url's user and password. */
  secrets: string[]
  collection: string
  lockCollection: string
  name: string
}

/** Validates everything before creating a client, so a bad option never leaves a client behind. */
export function resolveOptions(options: MongoStoreOptions): ResolvedMongoStoreOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidConfig('options', 'mongoStore needs an options object: { db } or { url, dbName }')
  const given = options as Partial<Record<keyof MongoStoreDbOptions | keyof MongoStoreUrlOptions, unknown>>
  const collection = collectionName(given.collection ?? 'opendb-open-data', 'collection')
  const lockCollection = collectionName(given.lockCollection ?? 'open-bridge-locks', 'lockCollection')
  if (lockCollection === collection)
    throw invalidConfig('lockCollection', 'mongoStore lockCollection must differ from collection')
  const name = given.name ?? 'mongo'
  if (typeof name !== 'string' || name.length === 0)
    throw invalidConfig('name', 'mongoStore name must be a non-empty string')

  if (given.db !== undefined) {
    if (given.url !== undefined) throw invalidConfig('url', 'mongoStore takes either db or url, not both')
    if (given.dbName !== undefined)
      throw invalidConfig('dbName', 'mongoStore dbName goes with url; a db already names its database')
    if (given.connectTimeout !== undefined)
      throw invalidConfig('connectTimeout', 'mongoStore connectTimeout goes with url; set it on your own client')
    if (given.serverSelectionTimeout !== undefined) {
      throw invalidConfig(
        'serverSelectionTimeout',
        'mongoStore serverSelectionTimeout goes with url; set it on your own client',
      )
    }
    if (
      typeof given.db !== 'object' ||
      given.db === null ||
      typeof (given.db as { collection?: unknown }).collection !== 'function'
    ) {
      throw invalidConfig('db', 'mongoStore db must be a Db from the mongodb driver (client.db(name))')
    }
    return { connection: callerConnection(given.db as Db), secrets: [], collection, lockCollection, name }
  }

  if (given.url === undefined) throw invalidConfig('db', 'mongoStore needs db (a Db you own) or url with dbName')
  if (typeof given.url !== 'string' || given.url.length === 0)
    throw invalidConfig('url', 'mongoStore url must be a non-empty string')
  const dbName = given.dbName
  // MongoDB refuses these characters in database names on every platform.
  if (typeof dbName !== 'string' || dbName.length === 0 || /[/\\. "$\0]/.test(dbName)) {
    throw invalidConfig('dbName', 'mongoStore dbName must be a non-empty database name without / \\ . space " $')
  }
  const connectTimeoutMS = timeout(given.connectTimeout ?? 2_000, 'connectTimeout')
  const serverSelectionTimeoutMS = timeout(given.serverSelectionTimeout ?? 2_000, 'serverSelectionTimeout')
  const clientOptions = { connectTimeoutMS, serverSelectionTimeoutMS }
  try {
    // Parses the url (no connection yet); each connection attempt builds its own client from it.
    void new MongoClient(given.url, clientOptions)
  } catch {
    // The driver's message may quote parts of the URL, so it is not passed on.
    throw invalidConfig('url', 'mongoStore url is not a valid MongoDB connection string (mongodb:// or mongodb+srv://)')
  }
  const secrets = urlSecrets(given.url)
  return {
    connection: ownConnection(given.url, dbName, clientOptions, secrets),
    secrets,
    collection,
    lockCollection,
    name,
  }
}

function timeout(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw invalidConfig(field, `mongoStore ${field} must be an integer of milliseconds from 1 to ${MAX_TIMER_MS}`)
  }
  return value
}

/** The user and password of a connection string, raw and decoded, to mask from driver messages. */
function urlSecrets(url: string): string[] {
  const userInfo = /^[a-z+]+:\/\/([^@/?#]*)@/i.exec(url)?.[1]
  if (userInfo === undefined) return []
  const found: string[] = []
  for (const part of userInfo.split(':')) {
    if (part.length === 0) continue
    found.push(part)
    try {
      found.push(decodeURIComponent(part))
    } catch {
      // The driver refused such a url already.
    }
  }
  return found
}

function collectionName(value: unknown, field: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.includes('$') ||
    value.includes('\0') ||
    value.startsWith('system.')
  ) {
    throw invalidConfig(
      field,
      `mongoStore ${field} must be a non-empty collection name without $ that does not start with "system."`,
    )
  }
  return value
}
