export { wechatSource, WechatSource } from './wechat-source.js'
export type { AccessTokenMode, WechatSourceOptions, WeixinPlatform } from './options.js'
export type { RetryPolicy } from './retry.js'
export {
  WechatError,
  PlatformApiError,
  isWechatError,
  type WechatErrorCode,
  type WechatErrorOptions,
} from './errors.js'
export { categoryOf, type ErrcodeCategory } from './errcode-categories.js'
export { diagnoseIp, type IpDiagnosis, type IpWhitelist } from './ip-diagnosis.js'
export {
  messageCrypto,
  type DecryptedPush,
  type MessageCrypto,
  type MessageCryptoOptions,
  type PushQuery,
  type ReplyOptions,
} from './push/message-crypto.js'
export { parsePushXml, type PushXml, type PushXmlElement, type PushXmlOptions } from './push/push-xml.js'
export {
  code2Session,
  checkSessionKey,
  resetSessionKey,
  DEFAULT_SESSION_KEY_TTL_SECONDS,
  type SessionInfo,
} from './helpers/session.js'
export { exchangeOAuthCode } from './helpers/oauth.js'
export {
  jsapiSignature,
  cardSignature,
  type JsapiSignature,
  type JsapiSignatureInput,
  type CardSignatureInput,
  type SignatureInputs,
} from './helpers/jsapi-signature.js'
export { decryptUserData, type DecryptInput } from './helpers/decrypt-user-data.js'
export { newestEncryptKey, type NewestEncryptKey } from './helpers/newest-encrypt-key.js'
export type { PlatformHelperOptions } from './helpers/helper-source.js'
export { getApiQuota, type ApiQuota } from './operator/api-quota.js'
export {
  clearQuota,
  CLEAR_QUOTA_MONTHLY_LIMIT,
  type ClearQuotaOptions,
  type ClearQuotaVia,
} from './operator/clear-quota.js'
export { getRidInfo, type RidInfo } from './operator/rid-info.js'
export {
  componentApi,
  type AuthorizationInfo,
  type AuthorizerListEntry,
  type AuthorizerToken,
  type ComponentApi,
  type ComponentApiOptions,
  type ComponentCredentials,
} from './open-platform/component-api.js'
export {
  wecomAgentTicket,
  wecomAuthorization,
  wecomCorpToken,
  wecomJsapiTicket,
  wecomPermanentCode,
  wecomProviderToken,
  wecomSuiteTicket,
  wecomSuiteToken,
  WECOM_KINDS,
  type AuthorizationValue,
  type CorpAppKey,
  type CorpTokenValue,
  type PermanentCodeValue,
  type ProviderKey,
  type ProviderTokenValue,
  type SuiteCorpKey,
  type SuiteKey,
  type SuiteTicketValue,
  type SuiteTokenValue,
  type WecomTicketValue,
} from './wecom/wecom-kinds.js'
export type { PermanentCodeApi } from './wecom/wecom-client.js'
export {
  WECOM_BASE_URL,
  type WecomAgentConfig,
  type WecomCorpConfig,
  type WecomProviderConfig,
  type WecomSourceOptions,
  type WecomSuiteConfig,
} from './wecom/wecom-options.js'
export { wecomSource, WecomSource } from './wecom/wecom-source.js'
export {
  isCorpTokenRejected,
  isSuiteTokenRejected,
  withCorpToken,
  withSuiteToken,
  WECOM_SUITE_TOKEN_ERRCODES,
  WECOM_TOKEN_ERRCODES,
} from './wecom/with-corp-token.js'
export {
  agentConfigSignature,
  wecomJsapiSignature,
  type AgentConfigSignature,
  type WecomJsapiSignature,
} from './wecom/wecom-signature.js'
export {
  applySuiteEvent,
  suiteCallback,
  SUITE_TICKET_LIFE_SECONDS,
  type SuiteCallback,
  type SuiteCallbackOptions,
  type SuiteEventOptions,
  type SuiteEventOutcome,
} from './wecom/suite-callback.js'
export { refreshSuiteAuthorization, type SuiteAgentsChange } from './wecom/suite-authorization.js'
export {
  exchangeWecomAuthCode,
  WECOM_INSTALL_PAGE,
  wecomInstallUrl,
  type WecomInstallUrlInput,
} from './wecom/suite-install-url.js'
export {
  componentVerifyTicket,
  componentAccessToken,
  authorizerRefreshToken,
  authorizerHome,
  COMPONENT_TICKET_LIFE_SECONDS,
  type ComponentKey,
  type AuthorizerKey,
  type AuthorizerHomeKey,
  type AuthorizerHomeValue,
  type AuthorizerStatus,
  type ComponentVerifyTicketValue,
  type ComponentAccessTokenValue,
  type AuthorizerRefreshTokenValue,
} from './open-platform/kinds.js'
export type { OpenPlatformOptions } from './open-platform/open-platform-runtime.js'
export type {
  OpenPlatformEvent,
  OpenPlatformEventType,
  OpenPlatformListener,
} from './open-platform/open-platform-events.js'
export { applyComponentPush, type ApplyPushOptions, type ComponentPushOutcome } from './open-platform/component-push.js'
export type { AuthorizerPlatform } from './open-platform/authorization-store.js'
export {
  authorizationPageUrl,
  exchangeAuthorizationCode,
  authorizerAccessToken,
  listAuthorizers,
  rebuildAuthorizers,
  authorizerState,
  componentTicketAge,
  startPushTicket,
  onOpenPlatformEvent,
} from './open-platform/authorizers.js'
