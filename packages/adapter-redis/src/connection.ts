import { Redis } from 'ioredis'

/**
 * A client for `url` that fails fast while Redis is unreachable, so the bridge falls through to the next tier
 * at once instead of waiting on a queue, and that reconnects by itself (backoff capped at 2 s, forever).
 */
export interface FailFastClient {
  client: Redis
  /** The latest error of the connection itself (refused, wrong password), cleared once it is ready. */
  lastError(): unknown
}

export function createFailFastClient(url: string, socketTimeout: number): FailFastClient {
  const client = new Redis(url, {
    // While disconnected a command is rejected at once instead of queued until Redis comes back.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops are rejected, not replayed after a reconnect.
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    // Not ioredis's `socketTimeout` (a timer and a `once('data')` listener set again for every chunk read while
    // commands wait, ~3% of a hit at 64 in flight) nor `commandTimeout` (a timer per command): `dropWhenSilent`.
    connectTimeout: Math.max(socketTimeout, 1_000),
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  })
  // Connection errors reach callers as rejected commands (and so as `tier-error` events, saying why the
  // connection is down); without a listener ioredis would print each reconnect failure.
  let lastError: unknown
  client.on('error', (error: unknown) => {
    lastError = error
  })
  client.on('ready', () => {
    lastError = undefined
  })
  dropWhenSilent(client, socketTimeout)
  return { client, lastError: () => lastError }
}

/**
 * Bounds waiting on a connection that is up but silent (a partition rather than a refused port): once commands
 * have waited `timeoutMs` with nothing read from the socket, it is destroyed, they fail, and the client
 * reconnects. One timer per client, ticking every quarter of `timeoutMs` (unref'd, stopped when the client
 * ends), and a counter bumped per chunk read: nothing is done per command, so the hot path pays nothing.
 * A silence is noticed between `timeoutMs` and 1.25 × `timeoutMs` after the last progress.
 */
export function dropWhenSilent(client: Redis, timeoutMs: number): void {
  let chunks = 0
  let seen = 0
  let progressAt = Date.now()
  const counted = new WeakSet<object>()
  const countChunks = () => {
    const stream = client.stream as Redis['stream'] | undefined
    if (stream === undefined || counted.has(stream)) return
    counted.add(stream)
    stream.on('data', () => {
      chunks++
    })
  }
  client.on('connect', countChunks)
  const timer = setInterval(
    () => {
      const now = Date.now()
      if (client.commandQueue.length === 0 || chunks !== seen) {
        seen = chunks
        progressAt = now
        return
      }
      if (now - progressAt < timeoutMs) return
      progressAt = now
      // The message ioredis's own socketTimeout gives, so callers see the same cause.
      client.stream?.destroy(new Error(`Socket timeout. Expecting data, but didn't receive any in ${timeoutMs}ms.`))
    },
    Math.max(1, Math.floor(timeoutMs / 4)),
  )
  timer.unref()
  client.once('end', () => clearInterval(timer))
}

/**
 * Resolves once a freshly created client is ready, or once `timeoutMs` has passed (then commands fail fast).
 * Only the first commands of a new store wait for it: without the offline queue they would fail otherwise.
 */
export function firstConnection(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      client.off('ready', done)
      client.off('end', done)
      resolve()
    }
    const timer = setTimeout(done, timeoutMs)
    timer.unref()
    client.once('ready', done)
    client.once('end', done)
  })
}

/** Quits a client the store created: gracefully when connected, at once otherwise. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {
      // Fall through: the connection went away while quitting.
    }
  }
  client.disconnect()
}
