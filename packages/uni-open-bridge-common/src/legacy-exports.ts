import { PLATFORMS, type Platform } from '@open-bridge/core'
import { UniCommonError } from './errors.js'

/**
 * The platform names, as uni-open-bridge-common exports them (`consts.js`): `PlatformType.WEIXIN_MP === 'weixin-mp'`.
 * 1.0.x exported `PlatformType`; 1.1 renamed it `ProviderType` and kept `PlatformType` as the same object.
 */
export const ProviderType: Readonly<{
  WEIXIN_MP: 'weixin-mp'
  WEIXIN_H5: 'weixin-h5'
  WEIXIN_APP: 'weixin-app'
  WEIXIN_WEB: 'weixin-web'
  QQ_MP: 'qq-mp'
  QQ_APP: 'qq-app'
}> = Object.freeze({
  WEIXIN_MP: 'weixin-mp',
  WEIXIN_H5: 'weixin-h5',
  WEIXIN_APP: 'weixin-app',
  WEIXIN_WEB: 'weixin-web',
  QQ_MP: 'qq-mp',
  QQ_APP: 'qq-app',
})
/** The same object as `ProviderType` (the original: `const PlatformType = ProviderType`). */
export const PlatformType: typeof ProviderType = ProviderType

// Every value is one of core's platforms: a rename there fails the build here.
void (Object.values(ProviderType) satisfies Platform[]).every((p) => PLATFORMS.includes(p))

/**
 * The original's error codes (`consts.js`). It threw `BridgeError(ErrorCodeType.SYSTEM_ERROR, …)` for an unknown
 * app ('appid or provider invalid'), an unsupported platform and a missing encrypt-key version; open-bridge throws
 * typed errors with codes of their own (`E_UNKNOWN_APP`, `E_APP_NOT_CONFIGURED`, …), so no error carries this code:
 * code comparing `error.code` with it should compare with those (see the migration guide).
 */
export const ErrorCodeType: Readonly<{ SYSTEM_ERROR: 'UNI_OPEN_BRIDGE_SYSTEM_ERROR' }> = Object.freeze({
  SYSTEM_ERROR: 'UNI_OPEN_BRIDGE_SYSTEM_ERROR',
})

function unsupported(name: string, instead: string): (...args: unknown[]) => Promise<never> {
  const call = (): Promise<never> =>
    Promise.reject(
      new UniCommonError(
        'E_UNSUPPORTED',
        `WeixinServer.${name} calls the platform with the appsecret outside the bridge; use ${instead}`,
        { field: `WeixinServer.${name}` },
      ),
    )
  Object.defineProperty(call, 'name', { value: name })
  return call
}

/**
 * uni-open-bridge-common's `WeixinServer`, as far as it is public: the platform URLs it calls (1.2.x values) and
 * its static helpers, which here reject `E_UNSUPPORTED` naming the open-bridge way. They called WeChat with the
 * appsecret directly (`uniCloud.httpclient`), beside the shared credentials: a token fetched there would cut the
 * bridge's own (classic mode) and escape its single-flight.
 */
export const WeixinServer = Object.freeze({
  AccessToken_Url: 'https://api.weixin.qq.com/cgi-bin/stable_token',
  Code2Session_Url: 'https://api.weixin.qq.com/sns/jscode2session',
  User_Encrypt_Key_Url: 'https://api.weixin.qq.com/wxa/business/getuserencryptkey',
  AccessToken_H5_Url: 'https://api.weixin.qq.com/cgi-bin/token',
  Ticket_Url: 'https://api.weixin.qq.com/cgi-bin/ticket/getticket?type=jsapi',
  GetMPAccessTokenData: unsupported('GetMPAccessTokenData', "getAccessToken({ dcloudAppid, platform: 'weixin-mp' })"),
  GetH5AccessTokenData: unsupported('GetH5AccessTokenData', "getAccessToken({ dcloudAppid, platform: 'weixin-h5' })"),
  GetH5TicketData: unsupported('GetH5TicketData', "getTicket({ dcloudAppid, platform: 'weixin-h5' })"),
  GetUserEncryptKeyData: unsupported(
    'GetUserEncryptKeyData',
    'getEncryptKey({ dcloudAppid, platform, openid, version })',
  ),
  GetCodeToSessionData: unsupported('GetCodeToSessionData', 'code2Session from @open-bridge/wechat-fetchers'),
})
