import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isWechatError, messageCrypto, type MessageCrypto } from '@open-bridge/wechat-fetchers'
import { ServerError } from '../errors.js'
import type { AppControl } from '../http/app-control.js'
import { errorReply } from '../http/error-reply.js'
import { errorDetails } from '../scheduler/scheduler.js'
import type { OpenPlatformHooks, OpenPlatformRouteComponent } from './open-platform-hooks.js'
import { PushDedup } from './push-dedup.js'
import { redirectTarget, withQuery } from './redirect-target.js'

/** Every Open Platform route is under this prefix: authenticated by WeChat's signature, not the allow-list or HMAC. */
export const OPEN_PLATFORM_PREFIX = '/open-platform/'
/** Largest push body read (real ones are a few hundred bytes; WeChat's encrypted messages stay far below this). */
export const PUSH_BODY_LIMIT = 64 * 1024
/** The paths these routes serve, exactly: only they skip the allow-list, HMAC and Host checks (never `..`, `%2e`). */
const OPEN_PLATFORM_PATH = /^\/open-platform\/wx[0-9a-zA-Z]{14,30}\/(?:events|authorize|authorized)(?:\?|$)/
const DEFAULT_REPLY_DEADLINE_MS = 4_000
const APPID = /^wx[0-9a-zA-Z]{14,30}$/
/** Codes of a push this server refuses: answered 4xx, logged without the body, nothing stored. */
const PUSH_REFUSALS = new Set([
  'E_PUSH_SIGNATURE',
  'E_PUSH_STALE',
  'E_PUSH_XML',
  'E_PUSH_DECRYPT',
  'E_PUSH_RECEIVE_ID',
  'E_PUSH_TOO_LARGE',
  'E_UNKNOWN_COMPONENT',
])

/** Is this request target (path and query) one of the Open Platform routes? */
export function isOpenPlatformPath(url: string): boolean {
  return url.startsWith(OPEN_PLATFORM_PREFIX) && OPEN_PLATFORM_PATH.test(url)
}

interface Served {
  component: OpenPlatformRouteComponent
  crypto: MessageCrypto
}

type ComponentParams = { Params: { componentAppid: string }; Querystring: Record<string, string | string[]> }

/**
 * `POST /open-platform/<componentAppid>/events` (the authorisation event URL), `GET …/authorize?redirect_uri=` (sends
 * an account's administrator to WeChat's authorisation page) and `GET …/authorized` (where WeChat sends the browser
 * back with `auth_code`). Registered in a context of their own: pushes are XML (any content type), bounded to
 * `PUSH_BODY_LIMIT`.
 */
export function registerOpenPlatformRoutes(app: FastifyInstance, hooks: OpenPlatformHooks, control: AppControl): void {
  const served = new Map<string, Served>()
  for (const component of hooks.components) {
    served.set(component.componentAppid, {
      component,
      crypto: messageCrypto({
        token: component.token,
        encodingAESKey: component.encodingAESKey,
        receiveId: component.componentAppid,
        maxBodyBytes: PUSH_BODY_LIMIT,
      }),
    })
  }
  const dedup = new PushDedup()
  const deadlineMs = hooks.replyDeadlineMs ?? DEFAULT_REPLY_DEADLINE_MS
  const count = (componentAppid: string, result: string) => {
    try {
      hooks.onPush?.(componentAppid, result)
    } catch {
      // Metrics never decide an answer.
    }
  }
  const componentOf = (componentAppid: string): Served => {
    const found = served.get(componentAppid)
    if (found === undefined) {
      throw new ServerError('E_UNKNOWN_COMPONENT', 'no third-party platform is configured with this componentAppid', {
        statusCode: 404,
        field: 'componentAppid',
      })
    }
    return found
  }

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    // WeChat posts text/xml; some proxies rewrite it. The body is only ever read by messageCrypto.
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PUSH_BODY_LIMIT }, (request, body, done) => {
      if (request.obResponse !== null) control.begin(request, request.obResponse)
      done(null, body)
    })

    scope.post<ComponentParams & { Body: Buffer }>(
      `${OPEN_PLATFORM_PREFIX}:componentAppid/events`,
      { bodyLimit: PUSH_BODY_LIMIT },
      async (request, reply) => {
        const { componentAppid } = request.params
        const { crypto } = componentOf(componentAppid)
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        let push: ReturnType<MessageCrypto['decryptPush']>
        try {
          push = crypto.decryptPush(request.query as Record<string, string>, body)
        } catch (error) {
          return refuse(request, reply, componentAppid, error, count)
        }
        if (!dedup.claim(push.id, push.timestamp)) {
          request.log.info({ componentAppid }, 'open platform push: a repeat of one already applied; answered success')
          count(componentAppid, 'repeat')
          return sendSuccess(reply)
        }
        const applying = hooks.applyPush(componentAppid, push).then(
          (outcome) => {
            request.log.info(
              {
                componentAppid,
                infoType: outcome.infoType,
                action: outcome.action,
                authorizerAppid: outcome.authorizerAppid,
              },
              'open platform push applied',
            )
            count(componentAppid, outcome.action)
            return { ok: true as const }
          },
          (error: unknown) => {
            dedup.release(push.id)
            return { ok: false as const, error }
          },
        )
        const late = Symbol('late')
        let timer: NodeJS.Timeout | undefined
        const result = await Promise.race([
          applying,
          new Promise<typeof late>((resolve) => {
            timer = setTimeout(() => resolve(late), deadlineMs)
          }),
        ])
        clearTimeout(timer)
        if (result === late) {
          // WeChat gives up after 5 s: answer now, let the work finish (what it stores is recovered anyway).
          request.log.warn(
            { componentAppid, infoType: push.fields.InfoType, deadlineMs },
            'open platform push: still applying at the deadline; answered success, the work goes on',
          )
          void applying.then((late) => {
            if (!late.ok)
              request.log.warn(
                { componentAppid, infoType: push.fields.InfoType, ...errorDetails(late.error) },
                'open platform push failed after success was answered',
              )
          })
          return sendSuccess(reply)
        }
        if (result.ok) return sendSuccess(reply)
        if (isPushRefusal(result.error)) return refuse(request, reply, componentAppid, result.error, count)
        // Storage or the platform failed: a 5xx, so WeChat pushes again.
        count(componentAppid, 'error')
        request.log.warn(
          { componentAppid, infoType: push.fields.InfoType, ...errorDetails(result.error) },
          'open platform push could not be applied; answered an error so WeChat retries',
        )
        const answer = errorReply(result.error)
        return reply.code(answer.statusCode >= 500 ? answer.statusCode : 503).send(answer.body)
      },
    )

    scope.get<ComponentParams>(`${OPEN_PLATFORM_PREFIX}:componentAppid/authorize`, async (request, reply) => {
      const { componentAppid } = request.params
      const { component } = componentOf(componentAppid)
      const publicUrl = publicUrlOf(component)
      const target = redirectTarget(
        request.query.redirect_uri,
        component.redirectOrigins ?? [new URL(publicUrl).origin],
      )
      const callback = withQuery(`${publicUrl}${OPEN_PLATFORM_PREFIX}${componentAppid}/authorized`, {
        redirect_uri: target.href,
      })
      const page = await hooks.authorizationPageUrl(componentAppid, callback)
      request.log.info({ componentAppid }, 'open platform: sent to the authorisation page with a fresh pre-auth code')
      return reply.code(302).header('cache-control', 'no-store').header('location', page).send()
    })

    scope.get<ComponentParams>(`${OPEN_PLATFORM_PREFIX}:componentAppid/authorized`, async (request, reply) => {
      const { componentAppid } = request.params
      const { component } = componentOf(componentAppid)
      const publicUrl = publicUrlOf(component)
      const target = redirectTarget(
        request.query.redirect_uri,
        component.redirectOrigins ?? [new URL(publicUrl).origin],
      )
      const code = request.query.auth_code
      if (typeof code !== 'string' || code === '' || code.length > 512) {
        return reply
          .code(302)
          .header('location', withQuery(target.href, { status: 'error', errCode: 'E_AUTH_CODE_MISSING' }))
          .send()
      }
      try {
        const { authorizerAppid } = await hooks.exchangeAuthorizationCode(componentAppid, code)
        const appid = APPID.test(authorizerAppid) ? authorizerAppid : ''
        request.log.info({ componentAppid, authorizerAppid: appid }, 'open platform: account authorised and stored')
        return reply
          .code(302)
          .header('location', withQuery(target.href, { status: 'ok', authorizer_appid: appid }))
          .send()
      } catch (error) {
        const answer = errorReply(error)
        request.log.warn(
          { componentAppid, ...errorDetails(error) },
          'open platform: the auth_code could not be exchanged',
        )
        return reply
          .code(302)
          .header('location', withQuery(target.href, { status: 'error', errCode: answer.body.errCode }))
          .send()
      }
    })
  })
}

function publicUrlOf(component: OpenPlatformRouteComponent): string {
  if (component.publicUrl === undefined) {
    throw new ServerError(
      'E_AUTHORIZE_NOT_CONFIGURED',
      'this component has no publicUrl: the authorisation page could not send the browser back (set openPlatform[].publicUrl)',
      { statusCode: 404 },
    )
  }
  return component.publicUrl.replace(/\/+$/, '')
}

function isPushRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && PUSH_REFUSALS.has(code)
}

/** A push refused: a 4xx with our code, one log line naming the component and the code — never the body or query. */
function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  componentAppid: string,
  error: unknown,
  count: (componentAppid: string, result: string) => void,
): FastifyReply {
  if (!isPushRefusal(error) && !isWechatError(error, 'E_INVALID_ARGUMENT')) throw error
  const code = String((error as { code: string }).code)
  const field = (error as { field?: unknown }).field
  count(componentAppid, code)
  request.log.warn(
    { componentAppid, errCode: code, ...(typeof field === 'string' ? { field } : {}) },
    'open platform push refused (nothing stored)',
  )
  const answer = errorReply(error)
  const status = answer.statusCode >= 400 && answer.statusCode < 500 ? answer.statusCode : 400
  return reply.code(status).send(answer.body)
}

function sendSuccess(reply: FastifyReply): FastifyReply {
  return reply.code(200).type('text/plain; charset=utf-8').send('success')
}
