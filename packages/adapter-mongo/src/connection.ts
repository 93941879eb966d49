import { MongoClient, type Db, type MongoClientOptions } from 'mongodb'
import { mongoFailure, MongoStoreError } from './errors.js'

/** Where the store gets its `Db`: a caller's (as is), or its own client, made afresh after a failure. */
export interface MongoConnection {
  /** The database to use now; rejects at once (`E_MONGO_UNAVAILABLE`) while a reconnect is backing off. */
  db(): Promise<Db>
  /** Reports an operation's failure: a lost topology makes the next `db()` start a fresh client. */
  failed(error: unknown): void
  close(): Promise<void>
}

export function callerConnection(db: Db): MongoConnection {
  const ready = Promise.resolve(db)
  return { db: () => ready, failed: () => {}, close: async () => {} }
}

/** First pause after a failed connection; it doubles with each failure up to `MAX_BACKOFF_MS`. */
export const FIRST_BACKOFF_MS = 200
export const MAX_BACKOFF_MS = 10_000

/** Errors after which the client's topology is not worth keeping: the server is gone or the client closed. */
const LOST =
  /^(MongoServerSelectionError|MongoTopologyClosedError|MongoNotConnectedError|MongoNetworkError|MongoNetworkTimeoutError)$/

/**
 * The store's own client. Connecting is explicit and bounded (`connectTimeoutMS`, `serverSelectionTimeoutMS`):
 * a server that is down at first use costs one short wait, not the driver's 30 s. A failed client is closed
 * and dropped — never reused — and the next attempt, after a growing pause, builds a new `MongoClient`.
 * Meanwhile operations fail at once, so the bridge moves on to the next tier.
 */
export function ownConnection(
  url: string,
  dbName: string,
  options: MongoClientOptions,
  secrets: readonly string[],
): MongoConnection {
  let client: MongoClient | undefined
  let db: Promise<Db> | undefined
  let failures = 0
  let retryAt = 0
  let closed = false

  const drop = (): void => {
    const old = client
    client = undefined
    db = undefined
    failures++
    retryAt = Date.now() + Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS)
    void old?.close().catch(() => {})
  }

  const connect = async (): Promise<Db> => {
    const fresh = new MongoClient(url, options)
    client = fresh
    try {
      await fresh.connect()
    } catch (error) {
      if (client === fresh) drop()
      else void fresh.close().catch(() => {})
      throw mongoFailure('connect', error, secrets)
    }
    if (closed) {
      await fresh.close().catch(() => {})
      throw closedError()
    }
    failures = 0
    return fresh.db(dbName)
  }

  return {
    db() {
      if (closed) return Promise.reject(closedError())
      if (db !== undefined) return db
      const wait = retryAt - Date.now()
      if (wait > 0) {
        return Promise.reject(
          new MongoStoreError(
            'E_MONGO_UNAVAILABLE',
            `mongo is unreachable; the next connection attempt is in ${wait} ms`,
          ),
        )
      }
      db = connect()
      return db
    },
    failed(error) {
      const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined
      if (client !== undefined && typeof name === 'string' && LOST.test(name)) drop()
    },
    async close() {
      if (closed) return
      closed = true
      const old = client
      client = undefined
      db = undefined
      await old?.close()
    },
  }
}

function closedError(): MongoStoreError {
  return new MongoStoreError('E_MONGO_UNAVAILABLE', 'the mongo store is closed')
}
