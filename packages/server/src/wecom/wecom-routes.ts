import type { CredentialBridge } from '@open-bridge/core'
import { isWechatError, suiteCallback, type SuiteCallback } from '@open-bridge/wechat-fetchers'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { WecomSuiteRoute } from './wecom-config.js'

/** What `buildApp({ wecom })` needs to serve the suites' command callback URLs. */
export interface WecomRoutesOptions {
  /** The `wecomSource()` holding the suites' secrets (the bridge's source may be a `combineSources(…)`). */
  source: unknown
  suites: readonly WecomSuiteRoute[]
  /**
   * Told of every push: its InfoType and action (`stored`, `removed`, …) and corp, or the refusal's code
   * (`E_PUSH_SIGNATURE`, InfoType `unknown`). For metrics and the scheduler's list of authorised corps.
   */
  onPush?(suiteId: string, infoType: string, result: string, corpId?: string): void
}

/** The command callback path of a suite. */
export function suiteCallbackPath(suiteId: string): string {
  return `/wecom/suites/${suiteId}/callback`
}

/** The paths the routes answer, public to the service's own auth: WeCom's msg_signature is their authentication. */
export function wecomPublicPaths(options: WecomRoutesOptions | undefined): string[] {
  return (options?.suites ?? []).map((suite) => suiteCallbackPath(suite.suiteId))
}

const MAX_PUSH_BYTES = 256 * 1024

/**
 * `GET /wecom/suites/<suiteId>/callback` (WeCom's URL check: the decrypted `echostr`, as plain text) and `POST`
 * (a push: verified, decrypted, applied — `success` once stored). WeCom signs both with the suite's callback Token
 * (`msg_signature`), which is the only authentication these routes have: they are public to the service's request
 * signing and IP allow-list (WeCom can do neither). A bad signature or ciphertext is a 400 and stores nothing;
 * anything else that fails a 500 (WeCom pushes again). Answers never carry a ticket, a code or an error's details.
 */
export function registerWecomRoutes(app: FastifyInstance, bridge: CredentialBridge, options: WecomRoutesOptions): void {
  const callbacks = new Map<string, SuiteCallback>()
  for (const suite of options.suites) {
    callbacks.set(
      suite.suiteId,
      suiteCallback(bridge, {
        suiteId: suite.suiteId,
        token: suite.token,
        encodingAESKey: suite.encodingAESKey,
        source: options.source,
      }),
    )
  }
  void app.register(async (scope) => {
    // XML (and anything else WeCom may label it) as text, in this scope only: the service's JSON routes keep theirs.
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_PUSH_BYTES }, (_request, body, done) =>
      done(null, body),
    )
    for (const [suiteId, callback] of callbacks) {
      const path = suiteCallbackPath(suiteId)
      scope.get(path, async (request: FastifyRequest, reply: FastifyReply) =>
        answer(reply, () => callback.verifyUrl(queryOf(request))),
      )
      scope.post(path, async (request: FastifyRequest, reply: FastifyReply) =>
        answer(
          reply,
          async () => {
            const outcome = await callback.handle(
              queryOf(request),
              typeof request.body === 'string' ? request.body : '',
            )
            request.log.info(
              { suiteId, infoType: outcome.infoType, corpId: outcome.corpId, action: outcome.action },
              'wecom suite push',
            )
            options.onPush?.(suiteId, outcome.infoType, outcome.action, outcome.corpId)
            return 'success'
          },
          (code) => options.onPush?.(suiteId, 'unknown', code),
        ),
      )
    }
  })
}

async function answer(
  reply: FastifyReply,
  work: () => string | Promise<string>,
  refused?: (code: string) => void,
): Promise<FastifyReply> {
  try {
    const text = await work()
    return reply.code(200).type('text/plain; charset=utf-8').send(text)
  } catch (error) {
    const push = isWechatError(error) && /^E_PUSH_/.test(error.code)
    const code = (error as { code?: unknown }).code
    refused?.(typeof code === 'string' && /^E_[A-Z_]{1,40}$/.test(code) ? code : 'E_FAILED')
    reply.request.log.warn({ errCode: (error as { code?: unknown }).code }, 'wecom suite callback refused')
    return reply
      .code(push ? 400 : 500)
      .type('text/plain; charset=utf-8')
      .send(push ? 'refused' : 'failed')
  }
}

function queryOf(request: FastifyRequest): URLSearchParams {
  const url = request.raw.url ?? ''
  const q = url.indexOf('?')
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
}
