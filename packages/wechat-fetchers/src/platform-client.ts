import { Agent, type Dispatcher } from 'undici'
import type { ResolvedOptions } from './options.js'
import type { PlatformCall } from './platform-call.js'
import { parseReply, type PlatformReply } from './platform-reply.js'
import { sendOnce } from './platform-transport.js'
import { withRetry } from './retry.js'

/**
 * A source's way to the platform: one keep-alive undici pool (or the caller's dispatcher), each call sent
 * (platform-transport.ts), its reply parsed (platform-reply.ts), and transient failures retried (retry.ts).
 */
export class PlatformClient {
  readonly #options: ResolvedOptions
  readonly #dispatcher: Dispatcher
  /** Only a dispatcher we created is ours to close. */
  readonly #owned: Agent | undefined

  constructor(options: ResolvedOptions) {
    this.#options = options
    if (options.dispatcher) {
      this.#owned = undefined
      this.#dispatcher = options.dispatcher
    } else {
      const { connectMs, headersMs, bodyMs } = options.timeouts
      this.#owned = new Agent({
        connect: { timeout: connectMs },
        headersTimeout: headersMs,
        bodyTimeout: bodyMs,
        keepAliveTimeout: 30_000,
      })
      this.#dispatcher = this.#owned
    }
  }

  call(call: PlatformCall): Promise<PlatformReply> {
    return withRetry(
      call.once === true ? { ...this.#options.retry, retries: 0 } : this.#options.retry,
      async () => parseReply(await sendOnce(call, this.#dispatcher, this.#options), call),
      call.signal,
    )
  }

  async close(): Promise<void> {
    await this.#owned?.close()
  }
}
