import type { CredentialStore, StoredRecord } from '@open-bridge/core'
import { fromDocument, toDocument, type CredentialDocument, type WrittenDocument } from './document.js'
import { isDuplicateKeyError } from './errors.js'
import { mongoLock, type LockDocument } from './mongo-lock.js'
import { resolveOptions, type MongoStoreOptions } from './options.js'
import { lazyTtlIndex } from './ttl-index.js'

/**
 * A MongoDB tier in uni-open-bridge's collection `opendb-open-data`: `_id` is the storage key, `value`
 * the credential object, `expired` a Date under a TTL index (absent = never). Offers a lock through a
 * second collection.
 */
export function mongoStore(options: MongoStoreOptions): CredentialStore {
  const { db, ownClient, collection, lockCollection, name } = resolveOptions(options)
  // ignoreUndefined: a field set to undefined is left out, as JSON would, instead of stored as null.
  const credentials = db.collection<CredentialDocument>(collection, { ignoreUndefined: true })
  const locks = db.collection<LockDocument>(lockCollection)
  const ensureTtlIndex = lazyTtlIndex(credentials, 'expired')
  let closed = false

  const remove = async (key: string): Promise<void> => {
    await credentials.deleteOne({ _id: key })
  }
  const replace = (key: string, document: WrittenDocument) => credentials.replaceOne({ _id: key }, document, { upsert: true })

  return {
    name,
    lock: mongoLock(locks, lazyTtlIndex(locks, 'expiresAt')),

    async get(key) {
      const document = await credentials.findOne({ _id: key }, { projection: { _id: 0, value: 1, expired: 1 } })
      if (document === null) return undefined
      const record = fromDocument(document)
      // The TTL monitor runs only every 60 s, so an expired document may still be there.
      return record.expiresAt !== null && record.expiresAt <= Date.now() ? undefined : record
    },

    async set(key: string, record: StoredRecord) {
      if (record.expiresAt !== null && record.expiresAt <= Date.now()) return remove(key)
      await ensureTtlIndex()
      const document = toDocument(record)
      try {
        await replace(key, document)
      } catch (error) {
        // Two first upserts of one key can race to insert it; the loser replaces the winner's document.
        if (!isDuplicateKeyError(error)) throw error
        await replace(key, document)
      }
    },

    delete: remove,

    async close() {
      if (closed) return
      closed = true
      await ownClient?.close()
    },
  }
}
