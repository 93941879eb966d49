import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify'
import { CREDENTIAL_ROUTES } from '@open-bridge/remote'
import type { AppOptions } from './app-options.js'
import { RequestAuth, pathOf } from './auth/request-auth.js'
import { ServerError } from './errors.js'
import { AppControl, registerControl } from './http/app-control.js'
import { clientErrorHandler } from './http/client-error.js'
import { applyConnectionCap, limitServerOptions, resolveLimits } from './http/connection-limits.js'
import { HostCheck, hostRefusal } from './http/host-check.js'
import { credentialCall, type CredentialBody } from './http/credential-handlers.js'
import { addExpiresIn } from './http/expires-in.js'
import { bodySchema, LEGACY_ROUTES } from './http/credential-routes.js'
import { errorReply } from './http/error-reply.js'
import { isKindRoutePath, registerKindRoutes } from './http/kind-routes.js'
import { loggerOptions } from './http/logger-options.js'
import { isOpenPlatformPath, registerOpenPlatformRoutes } from './open-platform/open-platform-routes.js'
import { HEALTH_PATH, METRICS_PATH, READY_PATH, registerOpsRoutes } from './http/ops-routes.js'
import { registerWecomRoutes, wecomPublicPaths } from './wecom/wecom-routes.js'

const DEFAULT_BODY_LIMIT = 64 * 1024

/**
 * Builds the HTTP service: the 15 uni-open-bridge routes and the `refresh*` routes (`POST /<method>`, JSON
 * bodies), the registered kinds' routes (`POST /kinds/<kind>/<operation>`, see http/kind-routes.ts), `/healthz`, `/readyz`, `/metrics`, the auth checks, the error answers. Throws `E_INVALID_CONFIG`
 * (a `ServerError`) for malformed options before anything listens. The caller listens and closes; closing
 * the app never closes the bridge.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  if (typeof options !== 'object' || options === null) {
    throw new ServerError('E_INVALID_CONFIG', 'buildApp options must be an object', { field: 'options' })
  }
  const { bridge, metrics } = options
  if (typeof bridge !== 'object' || bridge === null || typeof bridge.get !== 'function') {
    throw new ServerError('E_INVALID_CONFIG', 'options.bridge must be a bridge from createBridge()', {
      field: 'bridge',
    })
  }
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1024) {
    throw new ServerError('E_INVALID_CONFIG', 'bodyLimit must be an integer number of bytes ≥ 1024', {
      field: 'bodyLimit',
    })
  }
  const limits = resolveLimits(options.limits)
  const hosts = options.allowedHosts === undefined ? undefined : new HostCheck(options.allowedHosts)
  const auth = new RequestAuth(options.auth, options.sharedNonces !== undefined ? { shared: options.sharedNonces } : {})
  const trustProxy = options.auth.trustProxy ?? false

  const fastifyOptions: FastifyServerOptions = {
    logger: loggerOptions(options.logger) as FastifyServerOptions['logger'],
    bodyLimit,
    ...limitServerOptions(limits),
    // fastify takes a hop count too; its type says otherwise.
    trustProxy: trustProxy as FastifyServerOptions['trustProxy'],
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Refused in our own shape by the hook below, not with fastify's `{ error, message, statusCode }`.
    return503OnClosing: false,
    clientErrorHandler,
    // A URL fastify cannot decode (`/%`) is refused before routing: answer it like every other error.
    frameworkErrors: (error, _request, reply) => {
      const answer = errorReply(error)
      ;(reply as FastifyReply).code(answer.statusCode).send(answer.body)
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  }
  const app: FastifyInstance = Fastify(fastifyOptions)
  applyConnectionCap(app, limits)
  const control = new AppControl()
  registerControl(app, control)
  app.decorateRequest('obCounted', false)
  app.decorateRequest('obResponse', null)

  // One body parser: JSON only (415 otherwise). It sees the raw bytes first, so the signature is checked
  // before anything is parsed.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // The whole body is in: from here on a shutdown waits for this request's answer.
    if (request.obResponse !== null) control.begin(request, request.obResponse)
    const parse = () => {
      const text = (body as Buffer).toString('utf8')
      parseJson(request, text, (error, parsed) => {
        if (error === null) return done(null, parsed)
        done(isPoisoned(error, text) ? forbiddenKeyError() : error, undefined)
      })
    }
    let claimed: Promise<void> | void
    try {
      claimed = auth.verifyBody(request, body as Buffer)
    } catch (error) {
      done(error as Error, undefined)
      return
    }
    // A nonce claimed in a shared tier answers later; the local table answers at once.
    if (claimed === undefined) parse()
    else claimed.then(parse, (error: Error) => done(error, undefined))
  })

  app.setErrorHandler((error, request, reply) => {
    const answer = errorReply(error)
    // A client's mistake is one line without a stack; upstream trouble and our own bugs carry the error.
    const details = answer.level === 'info' ? { errMsg: answer.body.errMsg } : { err: error }
    request.log[answer.level]({ ...details, statusCode: answer.statusCode }, `answered ${answer.body.errCode}`)
    reply.code(answer.statusCode).send(answer.body)
  })

  // 404 for unknown paths, 405 (with Allow) for known paths asked with another method.
  const allowed = new Map<string, string>([
    ...[...CREDENTIAL_ROUTES, ...LEGACY_ROUTES].map((route) => [`/${route.method}`, 'POST'] as [string, string]),
    [HEALTH_PATH, 'GET, HEAD'],
    [READY_PATH, 'GET, HEAD'],
    ...(metrics !== undefined ? [[METRICS_PATH, 'GET, HEAD'] as [string, string]] : []),
  ])
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url)
    const allow = allowed.get(path) ?? (isKindRoutePath(path) ? 'POST' : undefined)
    if (allow !== undefined) {
      reply
        .code(405)
        .header('allow', allow)
        .send({ errCode: 'E_METHOD_NOT_ALLOWED', errMsg: `this path answers ${allow} only` })
      return
    }
    reply.code(404).send({ errCode: 'E_NOT_FOUND', errMsg: 'no route for this method and path' })
  })

  const openPlatform = options.openPlatform
  const wecomPaths = new Set(wecomPublicPaths(options.wecom))
  auth.install(app, {
    public: new Set([HEALTH_PATH, READY_PATH, ...wecomPaths]),
    ipOnly: new Set([METRICS_PATH]),
    // WeChat's servers push from addresses on no allow-list and cannot sign: msg_signature is these routes' auth.
    ...(openPlatform !== undefined ? { publicPaths: isOpenPlatformPath } : {}),
  })

  // One onRequest hook for both checks (a hook per check costs a dispatch on every request).
  // While closing (SIGTERM), requests still arriving on kept-alive connections are turned away at once, so a
  // load balancer retries them elsewhere; requests already in flight finish.
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  const checksAuth = auth.active
  app.addHook('onRequest', (request, reply, done) => {
    if (closing) {
      reply
        .code(503)
        .header('connection', 'close')
        .send({ errCode: 'E_SHUTTING_DOWN', errMsg: 'the server is shutting down; retry' })
      return
    }
    // While draining, every answer moves its kept-alive client to a new connection (elsewhere, behind a balancer).
    if (control.draining) reply.header('connection', 'close')
    if (
      hosts !== undefined &&
      !hosts.allows(request.headers.host) &&
      // WeChat and WeCom name the public host of their callback URLs; a rebound page gains nothing there (no answer
      // holds a credential).
      !(openPlatform !== undefined && isOpenPlatformPath(request.url)) &&
      !(wecomPaths.size > 0 && wecomPaths.has(pathOf(request.url)))
    ) {
      request.log.warn('refused: Host not in allowedHosts')
      reply.header('connection', 'close')
      done(hostRefusal())
      return
    }
    const length = request.headers['content-length']
    const bodyless = request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')
    if (bodyless) control.begin(request, reply.raw)
    else request.obResponse = reply.raw
    const refused = checksAuth ? auth.check(request) : undefined
    if (refused instanceof Promise) {
      refused.then(done, done)
      return
    }
    // Refused before its body: the connection is not kept for a body nobody will read.
    if (refused !== undefined && !bodyless) reply.header('connection', 'close')
    done(refused)
  })

  if (metrics?.observeRequest !== undefined) {
    const observe = metrics.observeRequest.bind(metrics)
    app.addHook('onResponse', (request, reply, done) => {
      try {
        // The route pattern, never the raw URL: unknown paths must not grow the metric's label set.
        observe(request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
      } catch (error) {
        request.log.warn({ err: error }, 'metrics.observeRequest threw')
      }
      done()
    })
  }

  const { expiryOf } = options
  if (expiryOf !== undefined && typeof expiryOf !== 'function') {
    throw new ServerError('E_INVALID_CONFIG', 'expiryOf must be a function (storageKey) => Promise<expiresAt>', {
      field: 'expiryOf',
    })
  }
  for (const route of [...CREDENTIAL_ROUTES, ...LEGACY_ROUTES]) {
    const plain = credentialCall(bridge, route)
    // get* and refresh* answers carry the value's remaining life in x-ob-expires-in (see http/expires-in.ts).
    const call: typeof plain =
      expiryOf === undefined || (route.operation !== 'get' && route.operation !== 'refresh')
        ? plain
        : (body, reply) =>
            plain(body).then(async (value) => {
              if (value !== null) await addExpiresIn(reply!, bridge, expiryOf, route.kind, body)
              return value
            })
    const handler = auth.signs
      ? (request: FastifyRequest<{ Body: CredentialBody }>, reply: FastifyReply) => {
          auth.assertSigned(request)
          return call(request.body, reply)
        }
      : (request: FastifyRequest<{ Body: CredentialBody }>, reply: FastifyReply) => call(request.body, reply)
    app.post<{ Body: CredentialBody }>(`/${route.method}`, { schema: { body: bodySchema(route) } }, handler)
  }
  // Registered kinds (WeCom, the Open Platform, …): POST /kinds/<kind>/<operation>; durable and pushed kinds are refused.
  registerKindRoutes(app, bridge, auth.signs ? (request) => auth.assertSigned(request) : undefined)
  registerOpsRoutes(app, bridge, options.readiness, metrics)
  if (options.wecom !== undefined) registerWecomRoutes(app, bridge, options.wecom)
  if (openPlatform !== undefined) registerOpenPlatformRoutes(app, openPlatform, control)
  return app
}

/** fastify reports a prototype-poisoning body as invalid JSON; tell the client what was wrong. Error path only. */
function isPoisoned(error: Error, text: string): boolean {
  if ((error as { code?: unknown }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return false
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function forbiddenKeyError(): ServerError {
  return new ServerError(
    'E_INVALID_JSON',
    'the request body holds a forbidden key (__proto__, constructor or prototype)',
    {
      statusCode: 400,
    },
  )
}
