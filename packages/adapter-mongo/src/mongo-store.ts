import { isLive, secretStringsOf, type CredentialStore, type StoredRecord } from '@open-bridge/core'
import type { Collection, Db } from 'mongodb'
import {
  compareFilter,
  fromDocument,
  liveIds,
  toDocument,
  type CredentialDocument,
  type WrittenDocument,
} from './document.js'
import { isDuplicateKeyError, mongoFailure } from './errors.js'
import { mongoLock, type LockDocument } from './mongo-lock.js'
import { resolveOptions, type MongoStoreOptions } from './options.js'
import { lazyTtlIndex } from './ttl-index.js'

interface Collections {
  credentials: Collection<CredentialDocument>
  locks: Collection<LockDocument>
}

/**
 * A MongoDB tier in uni-open-bridge's collection `opendb-open-data`: `_id` is the storage key, `value`
 * the credential object, `expired` a Date under a TTL index (absent = never). Offers a lock through a
 * second collection. Every driver error leaves as a `MongoStoreError` with a sanitised cause.
 */
export function mongoStore(options: MongoStoreOptions): CredentialStore {
  const { connection, secrets, collection, lockCollection, name } = resolveOptions(options)
  const credentialsIndex = lazyTtlIndex<CredentialDocument>('expired')
  const locksIndex = lazyTtlIndex<LockDocument>('expiresAt')
  // One pair of collection objects per Db: a reconnect brings a new Db.
  const byDb = new WeakMap<Db, Collections>()
  const collections = async (): Promise<Collections> => {
    const db = await connection.db()
    let pair = byDb.get(db)
    if (pair === undefined) {
      pair = {
        // ignoreUndefined: a field set to undefined is left out, as JSON would, instead of stored as null.
        credentials: db.collection<CredentialDocument>(collection, { ignoreUndefined: true }),
        locks: db.collection<LockDocument>(lockCollection),
      }
      byDb.set(db, pair)
    }
    return pair
  }
  /** Runs one operation; a driver error is reported to the connection (a lost server means a fresh client) and wrapped. */
  /** A driver error, reported to the connection (a lost server means a fresh client) and wrapped. */
  const failed = (operation: string, error: unknown, literals: readonly string[] = []) => {
    connection.failed(error)
    return mongoFailure(operation, error, [...secrets, ...literals])
  }
  const guarded = async <T>(
    operation: string,
    run: (c: Collections) => Promise<T>,
    literals: readonly string[] = [],
  ): Promise<T> => {
    try {
      return await run(await collections())
    } catch (error) {
      throw failed(operation, error, literals)
    }
  }
  let closed = false

  const remove = (key: string): Promise<void> =>
    guarded('delete', async ({ credentials }) => void (await credentials.deleteOne({ _id: key })))
  const replace = (credentials: Collection<CredentialDocument>, key: string, document: WrittenDocument) =>
    credentials.replaceOne({ _id: key }, document, { upsert: true })

  return {
    name,
    persistent: true,
    lock: mongoLock((operation, run, token) =>
      guarded(
        operation,
        async ({ locks }) => {
          if (operation === 'lock acquire') await locksIndex(locks)
          return run(locks)
        },
        [token],
      ),
    ),

    get: (key) =>
      guarded('get', async ({ credentials }) => {
        const document = await credentials.findOne({ _id: key }, { projection: { _id: 0, value: 1, expired: 1 } })
        if (document === null) return undefined
        const record = fromDocument(document)
        // The TTL monitor runs only every 60 s, so an expired document may still be there.
        return isLive(record) ? record : undefined
      }),

    async set(key: string, record: StoredRecord) {
      if (!isLive(record)) return remove(key)
      const document = toDocument(record)
      await guarded(
        'set',
        async ({ credentials }) => {
          await credentialsIndex(credentials)
          try {
            await replace(credentials, key, document)
          } catch (error) {
            // Two first upserts of one key can race to insert it; the loser replaces the winner's document.
            if (!isDuplicateKeyError(error)) throw error
            await replace(credentials, key, document)
          }
        },
        secretStringsOf(record.value),
      )
    },

    delete: remove,

    /**
     * The `_id` of every live document (the walk of `open-bridge export` / `copy` / `rekey`), read in batches with
     * only `_id` and `expired` projected; a document expired but not yet reaped by the TTL monitor is passed over.
     */
    async *keys(): AsyncIterable<string> {
      const { credentials } = await guarded('keys', async (c) => c)
      const cursor = credentials.find({}, { projection: { _id: 1, expired: 1 }, batchSize: 1_000 })
      try {
        yield* liveIds(cursor)
      } catch (error) {
        throw failed('keys', error)
      } finally {
        await cursor.close().catch(ignore)
      }
    },

    /**
     * One filtered write (see `compareFilter`). Seen nothing live, the write is an upsert: a live document makes
     * the filter miss and the insert of the same `_id` fail with a duplicate key, which is the refusal.
     */
    async compareAndSet(key: string, expected: StoredRecord | undefined, record: StoredRecord) {
      // A dead record is never what a holder writes; written, it could only delete: refuse it as a no-op.
      if (!isLive(record)) return false
      const document = toDocument(record)
      const literals = [...secretStringsOf(record.value), ...(expected ? secretStringsOf(expected.value) : [])]
      return guarded(
        'compare-and-set',
        async ({ credentials }) => {
          await credentialsIndex(credentials)
          const { filter, upsert } = compareFilter(key, expected, Date.now())
          if (!upsert) return (await credentials.replaceOne(filter, document)).matchedCount === 1
          try {
            const result = await credentials.replaceOne(filter, document, { upsert: true })
            return result.matchedCount + result.upsertedCount === 1
          } catch (error) {
            if (isDuplicateKeyError(error)) return false
            throw error
          }
        },
        literals,
      )
    },

    async close() {
      if (closed) return
      closed = true
      await connection.close()
    },
  }
}

function ignore(): void {}
