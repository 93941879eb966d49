export {
  startFakeWeChat,
  type FakeComponentSpec,
  type FakeInjection,
  type FakePush,
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
export { fakeIpErrmsg, FAKE_IP_ERRCODES, type FakeIpErrcode } from './fake-ip-errors.js'
export { FAKE_MONTHLY_CLEARS, FAKE_DEFAULT_DAILY_LIMIT } from './fake-quota.js'
export type { FakeRidRecord } from './fake-request-log.js'
export { startFakeWecom, type FakeWecom, type FakeWecomOptions, type FakeWecomSuiteSpec } from './fake-wecom.js'
export {
  FAKE_WECOM_ENDPOINTS,
  type FakeTicketLimits,
  type FakeWecomEndpoint,
  type FakeWecomReply,
} from './fake-wecom-state.js'
