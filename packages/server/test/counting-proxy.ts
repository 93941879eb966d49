import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A pass-through HTTP proxy in front of a fake platform that counts the calls in flight at once to some paths. */
export interface CountingProxy {
  url: string
  /** Most counted calls that were in flight at once. */
  maxInFlight(): number
  close(): Promise<void>
}

export async function countingProxy(target: string, counts: (path: string) => boolean): Promise<CountingProxy> {
  let inFlight = 0
  let max = 0
  const server: Server = createServer((req, res) => {
    const counted = counts(req.url ?? '')
    if (counted) max = Math.max(max, ++inFlight)
    const upstream = httpRequest(
      new URL(req.url!, target),
      { method: req.method, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
        answer.on('end', () => {
          if (counted) inFlight--
        })
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  // Longer than the client's keep-alive: an idle connection closed under a reused one would be the proxy's fault.
  server.keepAliveTimeout = 120_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxInFlight: () => max,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
