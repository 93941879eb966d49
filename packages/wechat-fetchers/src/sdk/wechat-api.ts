import type { AppKey, CredentialBridge } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'
import { SdkTokens, type SdkAccessToken, type SdkTicket } from './sdk-tokens.js'

/** A Node-style callback, as wechat-api calls its hooks and passes results. */
export type SdkCallback<T> = (error: unknown, result?: T, ...rest: unknown[]) => void

/** wechat-api's token and ticket hooks (callback style): `new API(appid, '', getToken, saveToken)`. */
export interface WechatApiHooks {
  getToken(callback: SdkCallback<SdkAccessToken | null>): void
  saveToken(token: unknown, callback: SdkCallback<void>): void
  getTicketToken(type: unknown, callback?: SdkCallback<SdkTicket | null>): void
  saveTicketToken(type: unknown, ticket: unknown, callback?: SdkCallback<void>): void
}

/**
 * The parts of a wechat-api (1.x) instance the glue replaces: its hooks, its own token and ticket fetches, and
 * the wrapper every API call goes through (`preRequest`).
 */
export interface WechatApiLike {
  getToken: unknown
  saveToken: unknown
  getAccessToken: unknown
  getTicket: unknown
  preRequest: (method: unknown, args: ArrayLike<unknown>, retried?: boolean) => void
  registerTicketHandle(getTicketToken: unknown, saveTicketToken: unknown): void
  /** The token of the call in progress (the SDK sets it before each call). */
  token?: { accessToken?: unknown } | undefined
}

/** WeChat's answers that mean "this access_token is no good": invalid (40001), malformed (40014), expired (42001). */
const REJECTED = new Set([40001, 40014, 42001])
/** Marks a call's arguments once it has been retried, so a second rejection is answered, not retried again. */
const RETRIED = Symbol('open-bridge retried')

/**
 * The hooks alone, for `new API(appid, '', getToken, saveToken)` and `api.registerTicketHandle(getTicketToken,
 * saveTicketToken)`: tokens and tickets are read through the bridge with their real expiry. Prefer
 * `bridgeWechatApi`, which also routes the SDK's own fetches and its 40001 retry through the bridge.
 */
export function wechatApiHooks(bridge: CredentialBridge, key: AppKey): WechatApiHooks {
  return hooksOver(new SdkTokens(bridge, key))
}

/**
 * Wires a wechat-api instance to the bridge, so the SDK never fetches a token or a ticket itself:
 * - `getToken` / the ticket hooks read through the bridge, with the credential's real expiry (`getRecord`);
 * - the SDK's own fetches (`getAccessToken`, `getTicket`) read through the bridge instead (its source fetches,
 *   once for the deployment);
 * - a call the platform answers 40001 (the SDK's own retry), 40014 or 42001 is retried once after a
 *   compare-and-refresh of the rejected token (`refreshAccessToken(key, { ifValue })`): one platform fetch however
 *   many processes see the rejection, where the SDK alone would re-read the same dead token.
 * Create the API without a secret (`new API(appid, '')`): nothing in it needs one any more. Returns `api`.
 */
export function bridgeWechatApi<T extends WechatApiLike>(api: T, bridge: CredentialBridge, key: AppKey): T {
  if (typeof api !== 'object' || api === null || typeof api.preRequest !== 'function')
    throw invalidArgument('api', 'must be a wechat-api instance (new API(appid, secret))')
  const tokens = new SdkTokens(bridge, key)
  const hooks = hooksOver(tokens)
  api.getToken = hooks.getToken
  api.saveToken = hooks.saveToken
  api.registerTicketHandle(hooks.getTicketToken, hooks.saveTicketToken)
  api.getAccessToken = (callback: SdkCallback<SdkAccessToken>) => settle(tokens.requireToken(), callback)
  api.getTicket = (type: unknown, callback?: SdkCallback<SdkTicket>) =>
    typeof type === 'function'
      ? settle(tokens.requireTicket('jsapi'), type as SdkCallback<SdkTicket>)
      : settle(tokens.requireTicket(type), callback)
  const preRequest = api.preRequest
  api.preRequest = function (this: WechatApiLike, method, args, retried) {
    const self = this ?? api
    const callback = args[args.length - 1] as SdkCallback<unknown>
    if (!retried) {
      // The SDK retries 40001 only: 40014 and 42001 come back here to be retried the same way.
      const call: unknown[] & { [RETRIED]?: boolean } = Array.prototype.slice.call(args, 0, -1)
      call.push((error: unknown, data?: { errcode?: unknown }, ...rest: unknown[]) => {
        const errcode = data?.errcode
        if (!call[RETRIED] && typeof errcode === 'number' && errcode !== 40001 && REJECTED.has(errcode))
          return self.preRequest(method, call, true)
        callback(error, data, ...rest)
      })
      return preRequest.call(self, method, call, false)
    }
    // A retry: the token of the call (self.token) was rejected. Replace it once for the deployment, then let the
    // SDK make its second and last attempt with what the bridge now holds.
    ;(args as { [RETRIED]?: boolean })[RETRIED] = true
    const rejected = typeof self.token?.accessToken === 'string' ? self.token.accessToken : undefined
    tokens.replaceRejected(rejected).then(
      () => preRequest.call(self, method, args, true),
      (error: unknown) => callback(error),
    )
  }
  return api
}

function hooksOver(tokens: SdkTokens): WechatApiHooks {
  return {
    getToken: (callback) => settle(tokens.token(), callback),
    saveToken: (token, callback) => settle(tokens.save(token), callback),
    getTicketToken: (type, callback) =>
      typeof type === 'function'
        ? settle(tokens.ticket('jsapi'), type as SdkCallback<SdkTicket | null>)
        : settle(tokens.ticket(type), callback),
    saveTicketToken: (type, ticket, callback) =>
      // Its older two-argument form: saveTicketToken(ticket, callback) for a jsapi ticket.
      typeof ticket === 'function'
        ? settle(tokens.saveTicket('jsapi', type), ticket as SdkCallback<void>)
        : settle(tokens.saveTicket(type, ticket), callback),
  }
}

/** A promise to a Node-style callback, called outside the promise chain (a throwing callback is not a rejection). */
function settle<T>(work: Promise<T>, callback: SdkCallback<T> | undefined): void {
  work.then(
    (result) => queueMicrotask(() => callback?.(null, result)),
    (error: unknown) => queueMicrotask(() => callback?.(error)),
  )
}
