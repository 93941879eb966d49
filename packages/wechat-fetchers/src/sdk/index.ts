export {
  bridgeWechatApi,
  wechatApiHooks,
  type WechatApiHooks,
  type WechatApiLike,
} from './wechat-api.js'
export {
  bridgeCoWechatApi,
  coWechatApiHooks,
  type CoWechatApiHooks,
  type CoWechatApiLike,
} from './co-wechat-api.js'
export type { SdkAccessToken, SdkTicket } from './sdk-tokens.js'
