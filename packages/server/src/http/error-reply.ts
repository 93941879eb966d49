/**
 * Every error a route can meet, turned into an HTTP status and a `{ errCode, errMsg }` body. Errors are
 * recognised by their `code` / `category` fields, never by `instanceof` (ESM and CJS copies of a package may
 * both be loaded). A body never carries a stack, a secret or a credential: messages of the open-bridge
 * packages name fields, never values; anything else is answered with a fixed message.
 */

export interface ErrorBody {
  errCode: string
  errMsg: string
  /** The platform's own errcode (e.g. 40013), for `E_PLATFORM_API`. */
  platformErrcode?: number
  /** The platform error's category (`config`, `ip-confirm`, `quota`, `transient`, `token-invalid`, `user`). */
  category?: string
}

export interface ErrorReply {
  statusCode: number
  body: ErrorBody
  /** How loudly to log it: client mistakes at `info`, upstream trouble at `warn`, our bugs at `error`. */
  level: 'info' | 'warn' | 'error'
}

interface ErrorFields {
  code?: unknown
  name?: unknown
  message?: unknown
  statusCode?: unknown
  category?: unknown
  errcode?: unknown
  validation?: unknown
  validationContext?: unknown
}

/** Codes whose message is written to be shown (they name fields, never values). */
const BRIDGE_STATUS: Readonly<Record<string, number>> = {
  // core
  E_INVALID_KEY: 400,
  E_INVALID_VALUE: 400,
  E_INVALID_EXPIRES: 400,
  E_UNKNOWN_APP: 404,
  E_STORE_UNAVAILABLE: 503,
  E_CLOSED: 503,
  E_REFRESH_TIMEOUT: 504,
  E_FETCH_TIMEOUT: 504,
  // refresh* on a deployment without a platform source: nothing can fetch a fresh credential.
  E_NO_SOURCE: 501,
  E_NO_CREDENTIAL: 404,
  // wechat-fetchers
  E_APP_NOT_CONFIGURED: 404,
  E_SESSION_KEY_MISSING: 409,
  E_ENCRYPT_KEY_VERSION_MISSING: 404,
  E_HTTP: 502,
  E_TIMEOUT: 504,
  E_REPLY_TOO_LARGE: 502,
  E_TICKET_MISSING: 502,
  E_INVALID_ARGUMENT: 400,
  // A versionless getEncryptKey asks the platform for the newest key: only a WeChat source can.
  E_NO_WECHAT_SOURCE: 501,
  // wechat-fetchers: pushes (the authorisation event URL) and the Open Platform
  E_PUSH_SIGNATURE: 401,
  E_PUSH_STALE: 401,
  E_PUSH_XML: 400,
  E_PUSH_DECRYPT: 400,
  E_PUSH_RECEIVE_ID: 400,
  E_PUSH_TOO_LARGE: 413,
  E_UNKNOWN_COMPONENT: 404,
  E_AUTHORIZER_UNKNOWN: 404,
  E_AUTHORIZER_AMBIGUOUS: 409,
  E_AUTHORIZER_REAUTHORIZE: 409,
  E_COMPONENT_TICKET_EXPIRED: 503,
  E_PUSHED_MISSING: 503,
  // WeCom: get_suite_token refused the pushed suite_ticket (40085); the next push (every 10 min) mends it
  E_SUITE_TICKET_REFUSED: 503,
  E_OPEN_PLATFORM_NOT_CONFIGURED: 501,
  // this package
  E_INVALID_REDIRECT: 400,
  E_AUTHORIZE_NOT_CONFIGURED: 404,
  E_UNAUTHORIZED: 401,
  E_FORBIDDEN: 403,
  E_REPLAY_CACHE_FULL: 503,
  E_INVALID_JSON: 400,
  E_HOST_NOT_ALLOWED: 421,
  E_UNKNOWN_KIND: 404,
  E_KIND_NOT_SERVED: 403,
}

/** Platform errcode categories (wechat-fetchers' names and the coordination contract's long names). */
const CATEGORY_STATUS: Readonly<Record<string, number>> = {
  config: 502,
  configuration: 502,
  'ip-confirm': 502,
  'ip-confirmation': 502,
  'token-invalid': 502,
  // The daily quota is the deployment's, not the caller's rate: an upstream failure, not a 429.
  quota: 502,
  transient: 503,
  // The user's code / session is no good: the caller must have the user log in again.
  user: 400,
}

/** fastify's own errors, by code. */
const FASTIFY: Readonly<Record<string, [number, string, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'E_BODY_TOO_LARGE', 'the request body is larger than the limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'E_UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'E_BAD_REQUEST', 'Content-Length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'E_INVALID_JSON', 'the request body is empty; send a JSON object'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'E_INVALID_JSON', 'the request body is not valid JSON'],
}

export function errorReply(error: unknown): ErrorReply {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorFields
  const code = typeof e.code === 'string' ? e.code : undefined

  if (Array.isArray(e.validation)) {
    return {
      statusCode: 400,
      body: { errCode: 'E_INVALID_BODY', errMsg: validationMessage(e.validation) },
      level: 'info',
    }
  }
  if (typeof e.errcode === 'number' && typeof e.category === 'string') {
    const statusCode = CATEGORY_STATUS[e.category] ?? 502
    return {
      statusCode,
      body: {
        errCode: code ?? 'E_PLATFORM_API',
        errMsg: `the platform refused: errcode ${e.errcode} (${e.category})`,
        platformErrcode: e.errcode,
        category: e.category,
      },
      level: statusCode === 400 ? 'info' : 'warn',
    }
  }
  if (code !== undefined && code in BRIDGE_STATUS && typeof e.message === 'string') {
    const statusCode = BRIDGE_STATUS[code]!
    return { statusCode, body: { errCode: code, errMsg: e.message }, level: statusCode < 500 ? 'info' : 'warn' }
  }
  if (code !== undefined && code in FASTIFY) {
    const [statusCode, errCode, errMsg] = FASTIFY[code]!
    return { statusCode, body: { errCode, errMsg }, level: 'info' }
  }
  // secure-json-parse and JSON.parse throw SyntaxErrors (fastify marks them 400): prototype keys land here too.
  if (
    e.name === 'SyntaxError' ||
    (e.statusCode === 400 && typeof e.message === 'string' && /JSON|prototype/i.test(e.message))
  ) {
    const poisoned = typeof e.message === 'string' && /prototype/i.test(e.message)
    return {
      statusCode: 400,
      body: {
        errCode: 'E_INVALID_JSON',
        errMsg: poisoned
          ? 'the request body holds a forbidden key (__proto__, constructor or prototype)'
          : 'the request body is not valid JSON',
      },
      level: 'info',
    }
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      statusCode: e.statusCode,
      body: { errCode: 'E_BAD_REQUEST', errMsg: 'the request is malformed' },
      level: 'info',
    }
  }
  return {
    statusCode: 500,
    body: { errCode: 'E_INTERNAL', errMsg: 'internal error; see the server log' },
    level: 'error',
  }
}

interface AjvError {
  keyword?: unknown
  instancePath?: unknown
  message?: unknown
  params?: Record<string, unknown>
}

const SAFE_NAME = /^[A-Za-z0-9_$-]{1,64}$/

/** One sentence naming the field, from ajv's first error. Never echoes a value the client sent. */
function validationMessage(errors: unknown[]): string {
  const first = (errors[0] ?? {}) as AjvError
  const path = fieldPath(first.instancePath)
  const params = first.params ?? {}
  switch (first.keyword) {
    case 'required':
      return `${path}.${String(params.missingProperty)} is required`
    case 'additionalProperties': {
      const name = params.additionalProperty
      return typeof name === 'string' && SAFE_NAME.test(name)
        ? `${path}.${name} is not allowed`
        : `${path} has a property that is not allowed`
    }
    case 'type':
      return `${path} must be ${article(String(params.type))}`
    case 'propertyNames':
    case 'not':
      return `${path} holds a forbidden key (__proto__, constructor or prototype)`
    case 'enum':
      return `${path} must be one of ${(params.allowedValues as unknown[]).join(', ')}`
    default:
      return `${path} ${typeof first.message === 'string' ? first.message : 'is invalid'}`
  }
}

/** `/value/x` → `body.value.x`; ajv escapes `~` and `/` in names as `~0` / `~1`. */
function fieldPath(instancePath: unknown): string {
  if (typeof instancePath !== 'string' || instancePath === '') return 'body'
  const parts = instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
  return parts.every((part) => SAFE_NAME.test(part)) ? `body.${parts.join('.')}` : 'body'
}

function article(type: string): string {
  return type === 'object' || type === 'integer' || type === 'array' ? `an ${type}` : `a ${type}`
}
