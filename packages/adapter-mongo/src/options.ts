import { MongoClient, type Db } from 'mongodb'
import { MongoStoreError } from './errors.js'

interface MongoStoreCommonOptions {
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
}

/** Let the store create (and on `close()`, close) its own client. */
export interface MongoStoreUrlOptions extends MongoStoreCommonOptions {
  /** `mongodb://…` or `mongodb+srv://…`. Never echoed in errors (it may hold a password). */
  url: string
  dbName: string
  db?: undefined
}

export type MongoStoreOptions = MongoStoreDbOptions | MongoStoreUrlOptions

export interface ResolvedMongoStoreOptions {
  db: Db
  /** The client the store created from `url`, which `close()` closes; `undefined` for a caller's `db`. */
  ownClient: MongoClient | undefined
  collection: string
  lockCollection: string
  name: string
}

/** Validates everything before creating a client, so a bad option never leaves a client behind. */
export function resolveOptions(options: MongoStoreOptions): ResolvedMongoStoreOptions {
  if (typeof options !== 'object' || options === null) invalid('options', 'mongoStore needs an options object: { db } or { url, dbName }')
  const given = options as Partial<Record<keyof MongoStoreDbOptions | keyof MongoStoreUrlOptions, unknown>>
  const collection = collectionName(given.collection ?? 'opendb-open-data', 'collection')
  const lockCollection = collectionName(given.lockCollection ?? 'open-bridge-locks', 'lockCollection')
  if (lockCollection === collection) invalid('lockCollection', 'mongoStore lockCollection must differ from collection')
  const name = given.name ?? 'mongo'
  if (typeof name !== 'string' || name.length === 0) invalid('name', 'mongoStore name must be a non-empty string')

  if (given.db !== undefined) {
    if (given.url !== undefined) invalid('url', 'mongoStore takes either db or url, not both')
    if (given.dbName !== undefined) invalid('dbName', 'mongoStore dbName goes with url; a db already names its database')
    if (typeof given.db !== 'object' || given.db === null || typeof (given.db as { collection?: unknown }).collection !== 'function') {
      invalid('db', 'mongoStore db must be a Db from the mongodb driver (client.db(name))')
    }
    return { db: given.db as Db, ownClient: undefined, collection, lockCollection, name }
  }

  if (given.url === undefined) invalid('db', 'mongoStore needs db (a Db you own) or url with dbName')
  if (typeof given.url !== 'string' || given.url.length === 0) invalid('url', 'mongoStore url must be a non-empty string')
  const dbName = given.dbName
  // MongoDB refuses these characters in database names on every platform.
  if (typeof dbName !== 'string' || dbName.length === 0 || /[/\\. "$\0]/.test(dbName)) {
    invalid('dbName', 'mongoStore dbName must be a non-empty database name without / \\ . space " $')
  }
  let client: MongoClient
  try {
    client = new MongoClient(given.url)
  } catch {
    // The driver's message may quote parts of the URL, so it is not passed on.
    invalid('url', 'mongoStore url is not a valid MongoDB connection string (mongodb:// or mongodb+srv://)')
  }
  return { db: client.db(dbName), ownClient: client, collection, lockCollection, name }
}

function collectionName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('$') || value.includes('\0') || value.startsWith('system.')) {
    invalid(field, `mongoStore ${field} must be a non-empty collection name without $ that does not start with "system."`)
  }
  return value
}

function invalid(field: string, message: string): never {
  throw new MongoStoreError('E_INVALID_CONFIG', message, { field })
}
