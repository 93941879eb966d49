export {
  startFakeWeChat,
  type FakeInjection,
  type FakeUserSpec,
  type FakeWeChat,
  type FakeWeChatOptions,
} from './fake-wechat.js'
export { streamHugeJson } from './huge-reply.js'
export { FAKE_ENDPOINTS, type FakeEndpoint } from './fake-endpoints.js'
export type { FakeEncryptKey } from './fake-state.js'
export {
  pushSender,
  type PushFormat,
  type PushReply,
  type PushSender,
  type PushSenderOptions,
  type SendOptions,
  type SentPush,
  type UrlCheck,
} from './push-sender.js'
