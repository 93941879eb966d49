import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'

/**
 * What shutdown needs to know of an app and cannot read from fastify: whether it is draining, and how many
 * requests were read in full and are being answered. A request still receiving its headers or body is not
 * counted: after the drain period nobody waits for a client that does not send.
 */
export class AppControl {
  /** Set at the start of a shutdown: `/readyz` answers 503 and every answer says `Connection: close`. */
  draining = false
  #inFlight = 0
  #idle: Array<() => void> = []

  get inFlight(): number {
    return this.#inFlight
  }

  /** Counts `request` as being answered, until its response is finished or its connection closes. Once per request. */
  begin(request: FastifyRequest, response: ServerResponse): void {
    if (request.obCounted) return
    request.obCounted = true
    this.#inFlight++
    // 'close' on a response: it was sent, or its connection ended first.
    response.once('close', () => this.#end(request))
  }

  /** Resolves once no request is being answered. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #end(request: FastifyRequest): void {
    if (!request.obCounted) return
    request.obCounted = false
    this.#inFlight--
    if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }
}

const controls = new WeakMap<FastifyInstance, AppControl>()

/** The control of an app `buildApp` made (internal: `startServer` drains and closes through it). */
export function appControl(app: FastifyInstance): AppControl | undefined {
  return controls.get(app)
}

export function registerControl(app: FastifyInstance, control: AppControl): void {
  controls.set(app, control)
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Counted as being answered by `AppControl`. */
    obCounted: boolean
    /** The response of this request, kept by `onRequest` for the body parser (which sees only the request). */
    obResponse: ServerResponse | null
  }
}
