import type { Collection, Document } from 'mongodb'

/**
 * A TTL index on `field` (`expireAfterSeconds: 0`: MongoDB removes a document once the Date in `field` has
 * passed), created the first time the returned function is awaited for a collection and never again, so
 * writes after the first cost no extra round trip. A failed creation (server down) is retried on the next call;
 * a new client (after a reconnect) brings new collection objects, and so one more creation, which is harmless.
 */
export function lazyTtlIndex<T extends Document>(field: string): (collection: Collection<T>) => Promise<void> {
  const created = new WeakMap<Collection<T>, Promise<void>>()
  return (collection) => {
    let done = created.get(collection)
    if (done === undefined) {
      done = collection.createIndex({ [field]: 1 }, { expireAfterSeconds: 0 }).then(
        () => undefined,
        (error: unknown) => {
          created.delete(collection)
          throw error
        },
      )
      created.set(collection, done)
    }
    return done
  }
}
