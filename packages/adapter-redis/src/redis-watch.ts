import type { Cluster, Redis } from 'ioredis'

/**
 * Write notices over Redis pub/sub (`CredentialStore.watch`). Every write of a store (`set`, a `compareAndSet` that
 * wrote, `delete`) publishes the storage key on one channel, `<keyPrefix>open-bridge:written`; a store that is
 * watched holds one subscriber connection (`duplicate()` of its client, made on the first `watch`) and calls the
 * watchers of the key named. Notices are best effort, and the bridge polls as the floor: a PUBLISH that fails
 * (Redis down, an ACL without the channel) is dropped without failing the write; a subscriber that lost its
 * connection misses what was published meanwhile, then resubscribes once it is ready again, or is made anew at
 * the next `watch` once its client gave up (`end`).
 */
export interface RedisWatch {
  /** Publishes that `key` was written; never rejects, never delays the write. */
  notify(key: string): void
  watch(key: string, onChange: () => void): () => void
  /** Drops the subscriber connection and every watcher. Idempotent. */
  close(): void
}

export function redisWatch(client: Redis | Cluster, keyPrefix: string): RedisWatch {
  const channel = `${keyPrefix}open-bridge:written`
  const watchers = new Map<string, Set<() => void>>()
  let subscriber: Redis | Cluster | undefined
  let closed = false

  // The subscriber is subscribed to this one channel only: every message names a key written.
  const onMessage = (_channel: string, key: string) => {
    const set = watchers.get(key)
    if (set === undefined) return
    for (const onChange of [...set]) {
      try {
        onChange()
      } catch {
        // A watcher's failure is its own; the others still hear of the write.
      }
    }
  }

  const subscribe = () => {
    if (subscriber !== undefined && subscriber.status !== 'end') return
    // A connection of its own: a subscribed connection can run no other command. Same options as the client
    // (address, password, TLS, retry). A Redis resubscribes here, at each `ready`, not by ioredis'
    // `autoResubscribe`, whose SUBSCRIBE rejects unhandled when Redis refuses it (an ACL without the channel)
    // and would end the process; a Cluster's subscriber resubscribes by itself.
    const made: Redis | Cluster = isCluster(client)
      ? client.duplicate()
      : client.duplicate({ enableOfflineQueue: true, autoResubscribe: false })
    subscriber = made
    // Errors of this connection only cost wake-ups (polling stays): without a listener ioredis would print them.
    made.on('error', ignore)
    made.on('message', onMessage)
    // Not subscribed (a refused connection, an ACL without the channel): tried again at the next `ready`.
    made.on('ready', () => made.subscribe(channel).catch(ignore))
  }

  return {
    notify(key) {
      // A lost notice (Redis down, an ACL without the channel): the waiters' polling finds the write.
      if (!closed) client.publish(channel, key).catch(ignore)
    },
    watch(key, onChange) {
      if (closed) return ignore
      let set = watchers.get(key)
      if (set === undefined) {
        set = new Set()
        watchers.set(key, set)
      }
      const listener = () => onChange()
      set.add(listener)
      subscribe()
      return () => {
        const current = watchers.get(key)
        if (current?.delete(listener) && current.size === 0) watchers.delete(key)
      }
    },
    close() {
      closed = true
      watchers.clear()
      subscriber?.disconnect()
      subscriber = undefined
    },
  }
}

function ignore(): void {
  // Nothing to do: see where it is used.
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true
}
