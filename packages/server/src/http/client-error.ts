import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

/**
 * fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (bad method, bad header, header too
 * large, timeout) never reaches a route. Answer it in the same `{ errCode, errMsg }` shape, then drop the
 * connection (what Node and fastify do: the stream is out of sync).
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, errCode, errMsg] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'E_BAD_REQUEST', 'the request took too long to arrive']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'E_BAD_REQUEST', 'the request headers are too large']
        : [400, 'E_BAD_REQUEST', 'the request is not valid HTTP']
  const body = JSON.stringify({ errCode, errMsg })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(
        body,
      )}\r\nContent-Type: application/json; charset=utf-8\r\n` + `Connection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}
