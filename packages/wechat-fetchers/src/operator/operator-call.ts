import type { AppKey, CredentialBridge, ResolvedKey, SourceContext } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'
import { sourceOf, type PlatformHelperOptions } from '../helpers/helper-source.js'
import { resolveKey } from '../helpers/resolve-key.js'
import type { PlatformReply } from '../platform-reply.js'
import type { SourceInternals } from '../source-internals.js'
import { withAccessToken } from '../with-access-token.js'

/** The app an operator tool acts on: resolved as the bridge resolves keys, WeChat only (QQ has no such tools). */
export function operatorApp(
  bridge: CredentialBridge,
  key: AppKey,
  options: PlatformHelperOptions | undefined,
): { app: ResolvedKey<'access_token'>; ctx: SourceContext; source: SourceInternals } {
  const { key: app, ctx } = resolveKey(bridge, 'access_token', key)
  if (!app.platform.startsWith('weixin-'))
    throw invalidArgument('key.platform', 'must be a WeChat platform (weixin-*): QQ has no quota or rid tools')
  return { app, ctx, source: sourceOf(bridge, options) }
}

/**
 * A POST with a JSON body and the app's access_token in the query, read through the bridge (a rejected token is
 * compare-and-refreshed once, as for every business call). The token is masked in anything the call reports.
 */
export function tokenPost(
  bridge: CredentialBridge,
  target: { app: ResolvedKey<'access_token'>; source: SourceInternals },
  endpoint: { path: string; name: string },
  body: Record<string, unknown>,
  once = false,
): Promise<PlatformReply> {
  const { app, source } = target
  return withAccessToken(bridge, app, (token) =>
    source.client.call({
      host: 'weixin',
      method: 'POST',
      path: endpoint.path,
      endpoint: endpoint.name,
      query: { access_token: token },
      body,
      appid: app.appid,
      secrets: [token],
      once,
    }),
  )
}
