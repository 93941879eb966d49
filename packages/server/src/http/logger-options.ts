import { redactSecrets } from '@open-bridge/core'

/**
 * fastify's pino options with what must never be logged taken out: auth and signature headers are redacted
 * wherever a request is logged, request bodies are never logged (fastify does not, and no hook here does),
 * and errors are logged through a serializer that masks URL credentials and secret query values.
 */

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-ob-signature"]',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'headers["x-ob-signature"]',
  'req.body',
  'body',
  'secret',
  'signingSecret',
  '*.secret',
  '*.signingSecret',
]

export function loggerOptions(logger: boolean | Record<string, unknown> | undefined): false | Record<string, unknown> {
  if (logger === undefined || logger === false) return false
  const given: Record<string, unknown> = logger === true ? {} : { ...logger }
  const redact = given.redact
  const paths = Array.isArray(redact)
    ? redact
    : typeof redact === 'object' && redact !== null
      ? ((redact as { paths?: string[] }).paths ?? [])
      : []
  return {
    ...given,
    redact: { paths: [...REDACTED_PATHS, ...paths], censor: '[redacted]' },
    serializers: { ...(given.serializers as object | undefined), err: serializeError, req: serializeRequest },
  }
}

/** The fields of a request fastify reads for its log lines (a fastify request, or any object shaped like one). */
interface LoggedRequest {
  method?: unknown
  url?: unknown
  host?: unknown
  ip?: unknown
  headers?: Record<string, unknown>
  socket?: { remotePort?: unknown }
}

/**
 * What a logged request shows: fastify's own fields, with every query value masked. Platforms put signatures and
 * codes in the query (`msg_signature`, `signature`, `echostr`, `auth_code`, `code`), and a client may send a token
 * there; the parameter names stay, so a log still says what was asked.
 */
export function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? maskQuery(request.url) : undefined,
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}

/** `/path?a=1&b=2` → `/path?a=…&b=…` (names kept, values gone; the fragment, never sent, is dropped too). */
export function maskQuery(url: string): string {
  const at = url.indexOf('?')
  if (at === -1) return url
  const query = url.slice(at + 1).split('#')[0]!
  const names = query
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=')
      return eq === -1 ? part : `${part.slice(0, eq)}=…`
    })
  return `${url.slice(0, at)}?${names.join('&')}`
}

/** What a logged error shows: its type, codes and scrubbed message and stack. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { message: redactSecrets(String(error)) }
  const e = error as Record<string, unknown>
  const out: Record<string, unknown> = { type: typeof e.name === 'string' ? e.name : 'Error' }
  for (const field of ['code', 'field', 'category', 'errcode', 'appid', 'statusCode'] as const) {
    if (typeof e[field] === 'string' || typeof e[field] === 'number') out[field] = e[field]
  }
  if (typeof e.message === 'string') out.message = redactSecrets(e.message)
  if (typeof e.stack === 'string') out.stack = redactSecrets(e.stack)
  return out
}
