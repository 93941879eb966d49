export {
  bridgeWechatApi,
  wechatApiHooks,
  type WechatApiHooks,
  type WechatApiLike,
  type SdkCallback,
} from './wechat-api.js'
export {
  bridgeCoWechatApi,
  coWechatApiHooks,
  type CoWechatApiHooks,
  type CoWechatApiLike,
} from './co-wechat-api.js'
export type { SdkAccessToken, SdkTicket } from './sdk-tokens.js'
