import type { AppKey, CredentialBridge, Platform } from '@open-bridge/core'
import { appSecret } from '../app-secret.js'
import { homeComponent } from '../open-platform/authorizer-token.js'
import type { PlatformCall } from '../platform-call.js'
import type { PlatformReply } from '../platform-reply.js'
import type { SourceInternals } from '../source-internals.js'
import { sourceOf, type PlatformHelperOptions } from './helper-source.js'
import { resolveKey } from './resolve-key.js'
import { nonEmpty } from './non-empty.js'

/** A platform endpoint that trades a single-use authorisation code for user credentials. */
export interface CodeEndpoint {
  path: string
  /** Shown in errors, e.g. `jscode2session`. */
  name: string
  /** The query parameter that carries the code (`js_code` for mini-program login, `code` for web OAuth). */
  codeParam: 'js_code' | 'code'
}

export interface CodeExchange {
  reply: PlatformReply
  call: PlatformCall
  appid: string
  platform: Platform
  source: SourceInternals
}

/**
 * The one way helpers spend an authorisation code (mini-program login, web OAuth): the key resolved as the
 * bridge resolves it, the appsecret from the bridge's `apps`, and both the secret and the code masked in
 * anything the call reports. Every argument is checked before the call: the code is single-use.
 */
export async function exchangeCode(
  bridge: CredentialBridge,
  key: AppKey,
  code: string,
  options: PlatformHelperOptions | undefined,
  endpoint: CodeEndpoint,
): Promise<CodeExchange> {
  const { key: app, ctx } = resolveKey(bridge, 'access_token', key)
  const source = sourceOf(bridge, options)
  nonEmpty(code, 'code')
  const { appid, platform } = app
  const runtime = source.openPlatform
  if (
    endpoint.codeParam === 'js_code' &&
    runtime !== undefined &&
    ctx.app?.secret === undefined &&
    platform.startsWith('weixin-')
  ) {
    // A mini program authorised to one of the deployment's components logs its users in through it.
    const componentAppid = await homeComponent(runtime, bridge, appid)
    return runtime.withComponentToken(bridge, componentAppid, async (token) => {
      const call: PlatformCall = {
        host: 'weixin',
        path: '/sns/component/jscode2session',
        endpoint: 'component jscode2session',
        query: {
          appid,
          js_code: code,
          grant_type: 'authorization_code',
          component_appid: componentAppid,
          component_access_token: token,
        },
        appid,
        secrets: [token, code],
      }
      return { reply: await source.client.call(call), call, appid, platform, source }
    })
  }
  const secret = appSecret(app, ctx)
  const call: PlatformCall = {
    host: 'weixin',
    path: endpoint.path,
    endpoint: endpoint.name,
    query: { appid, secret, [endpoint.codeParam]: code, grant_type: 'authorization_code' },
    appid,
    secrets: [secret, code],
  }
  return { reply: await source.client.call(call), call, appid, platform, source }
}
