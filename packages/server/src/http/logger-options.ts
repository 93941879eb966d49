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

/**
 * What a logged request shows: method, path, host, client address. Its query string is masked: the Open Platform's
 * routes carry `msg_signature`, `signature` and `auth_code` there.
 */
export function serializeRequest(request: unknown): Record<string, unknown> {
  const r = (typeof request === 'object' && request !== null ? request : {}) as {
    method?: unknown
    url?: unknown
    host?: unknown
    ip?: unknown
    socket?: { remotePort?: unknown }
  }
  const url = typeof r.url === 'string' ? r.url : ''
  const q = url.indexOf('?')
  return {
    method: r.method,
    url: q === -1 ? url : `${url.slice(0, q)}?[redacted]`,
    host: r.host,
    remoteAddress: r.ip,
    remotePort: r.socket?.remotePort,
  }
}
