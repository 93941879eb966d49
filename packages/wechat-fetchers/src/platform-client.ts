import type { Dispatcher } from 'undici'
import type { ResolvedOptions } from './options.js'
import type { PlatformCall } from './platform-call.js'
import { parseReply, type PlatformReply } from './platform-reply.js'
import { sendOnce } from './platform-transport.js'
import { withRetry } from './retry.js'
import { loadUndici } from './undici-loader.js'

/**
 * A source's way to the platform: one keep-alive undici pool (or the caller's dispatcher), each call sent
 * (platform-transport.ts), its reply parsed (platform-reply.ts), and transient failures retried (retry.ts).
 */
export class PlatformClient {
  readonly #options: ResolvedOptions
  /** The caller's dispatcher, or the keep-alive `Agent` this client creates on its first call (undici loads then). */
  #dispatcher: Promise<Dispatcher> | undefined
  /** Only a dispatcher we created is ours to close. */
  #owned = false
  #closed = false

  constructor(options: ResolvedOptions) {
    this.#options = options
    if (options.dispatcher) this.#dispatcher = Promise.resolve(options.dispatcher)
  }

  call(call: PlatformCall): Promise<PlatformReply> {
    return withRetry(
      call.once === true ? { ...this.#options.retry, retries: 0 } : this.#options.retry,
      async () => parseReply(await sendOnce(call, await this.#dispatch(), this.#options), call),
      call.signal,
    )
  }

  #dispatch(): Promise<Dispatcher> {
    if (this.#dispatcher === undefined) {
      const { connectMs, headersMs, bodyMs } = this.#options.timeouts
      this.#owned = true
      this.#dispatcher = loadUndici().then(
        ({ Agent }) =>
          new Agent({
            connect: { timeout: connectMs },
            headersTimeout: headersMs,
            bodyTimeout: bodyMs,
            keepAliveTimeout: 30_000,
          }),
      )
      // A call after close(): its agent is closed at once (the call fails as on a closed source), never left open.
      if (this.#closed) void this.#dispatcher.then((agent) => agent.close()).catch(() => undefined)
    }
    return this.#dispatcher
  }

  /** Idempotent; closes the agent this client made (made or being made), never a dispatcher passed in. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#owned) await (await this.#dispatcher!).close()
  }
}
