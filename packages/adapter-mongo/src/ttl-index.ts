import type { Collection, Document } from 'mongodb'

/**
 * A TTL index on `field` (`expireAfterSeconds: 0`: MongoDB removes a document once the Date in `field` has
 * passed), created the first time the returned function is awaited and never again, so writes after the
 * first cost no extra round trip. A failed creation (server down) is retried on the next call.
 */
export function lazyTtlIndex<T extends Document>(collection: Collection<T>, field: string): () => Promise<void> {
  let created: Promise<void> | undefined
  return () =>
    (created ??= collection.createIndex({ [field]: 1 }, { expireAfterSeconds: 0 }).then(
      () => undefined,
      (error: unknown) => {
        created = undefined
        throw error
      },
    ))
}
