import { quoteValue, type ResolvedKey, type SourceContext } from '@open-bridge/core'
import { WechatError } from './errors.js'

/** The appsecret of the key's app, or a config error naming the appid (never retried). */
export function appSecret(key: ResolvedKey, ctx: SourceContext): string {
  const secret = ctx.app?.secret
  if (secret === undefined) {
    const why = ctx.app === undefined ? 'is not configured in createBridge({ apps })' : 'is configured without a secret'
    throw new WechatError('E_APP_NOT_CONFIGURED', `appid ${quoteValue(key.appid)} on platform ${key.platform} ${why}`, {
      appid: key.appid,
      field: 'apps',
    })
  }
  return secret
}
