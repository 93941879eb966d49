import type { CredentialBridge } from '@open-bridge/core'
import { applyComponentPush, authorizationPageUrl, exchangeAuthorizationCode } from '@open-bridge/wechat-fetchers'
import type { ServiceComponent } from '../config/component-config.js'
import type { OpenPlatformHooks } from './open-platform-hooks.js'

/**
 * The Open Platform routes' hooks on a configured bridge: the push applied by wechat-fetchers' `applyComponentPush`
 * (checked against the route's component), the authorisation page and the code exchange through the bridge's source.
 */
export function openPlatformHooks(
  bridge: CredentialBridge,
  components: readonly ServiceComponent[],
  onPush?: (componentAppid: string, result: string) => void,
): OpenPlatformHooks {
  return {
    components,
    async applyPush(componentAppid, push) {
      const outcome = await applyComponentPush(bridge, push, { componentAppid })
      return { infoType: outcome.infoType, action: outcome.action, authorizerAppid: outcome.authorizerAppid }
    },
    authorizationPageUrl: (componentAppid, redirectUri) =>
      authorizationPageUrl(bridge, { componentAppid, redirectUri }),
    exchangeAuthorizationCode: (componentAppid, authorizationCode) =>
      exchangeAuthorizationCode(bridge, { componentAppid, authorizationCode }),
    ...(onPush !== undefined ? { onPush } : {}),
  }
}
