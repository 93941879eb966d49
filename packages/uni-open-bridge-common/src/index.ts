export {
  getAccessToken,
  setAccessToken,
  removeAccessToken,
  getUserAccessToken,
  setUserAccessToken,
  removeUserAccessToken,
  getSessionKey,
  setSessionKey,
  removeSessionKey,
  getEncryptKey,
  setEncryptKey,
  removeEncryptKey,
  getTicket,
  setTicket,
  removeTicket,
  updateAccessToken,
  updateEncryptKey,
  updateTicket,
  getUserKey,
  setUserKey,
  removeUserKey,
  refreshAccessToken,
  refreshUserAccessToken,
  refreshEncryptKey,
  refreshTicket,
} from './credential-functions.js'
export { configure, getBridge, close, type ConfigureOptions } from './shared-bridge.js'
export { CONFIG_ENV, UNI_CONFIG_CENTER_ENV, UNI_CONFIG_CENTER_DIRS } from './locate-config.js'
export { STORES_ENV } from './store-urls.js'
export { UniCommonError, isUniCommonError, type UniCommonErrorCode } from './errors.js'
export { PlatformType, ProviderType, ErrorCodeType, WeixinServer } from './legacy-exports.js'
