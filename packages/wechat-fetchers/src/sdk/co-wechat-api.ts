import type { AppKey, CredentialBridge } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'
import { SdkTokens, type SdkAccessToken, type SdkTicket } from './sdk-tokens.js'

/** co-wechat-api's token and ticket hooks (async): `new API(appid, '', getToken, saveToken)`. */
export interface CoWechatApiHooks {
  getToken(): Promise<SdkAccessToken | null>
  saveToken(token: unknown): Promise<void>
  getTicketToken(type?: unknown): Promise<SdkTicket | null>
  saveTicketToken(type: unknown, ticket?: unknown): Promise<void>
}

/** The parts of a co-wechat-api (3.x) instance the glue replaces: its hooks and its own token and ticket fetches. */
export interface CoWechatApiLike {
  getToken: unknown
  saveToken: unknown
  getAccessToken: unknown
  getTicket: unknown
  registerTicketHandle(getTicketToken: unknown, saveTicketToken: unknown): void
}

/**
 * The hooks alone, for `new API(appid, '', getToken, saveToken)` and `api.registerTicketHandle(getTicketToken,
 * saveTicketToken)`. Prefer `bridgeCoWechatApi`, which also routes the SDK's own fetches and its 40001 / 42001
 * retry through the bridge.
 */
export function coWechatApiHooks(bridge: CredentialBridge, key: AppKey): CoWechatApiHooks {
  return hooksOver(new SdkTokens(bridge, key), { rejected: false })
}

/**
 * Wires a co-wechat-api instance to the bridge, so the SDK never fetches a token or a ticket itself:
 * - `getToken` / the ticket hooks read through the bridge, with the credential's real expiry (`getRecord`);
 * - the SDK's retry on 40001 / 42001 (`saveToken(null)`, then `getAccessToken()`, then the call again) becomes a
 *   compare-and-refresh of the rejected token: one platform fetch for the deployment, where the SDK alone would
 *   fetch a token of its own (and, in classic mode, cut every other process's);
 * - its other fetches (`getAccessToken` on an empty bridge, `getTicket`) read through the bridge (its source
 *   fetches, once for the deployment).
 * Create the API without a secret (`new API(appid, '')`): nothing in it needs one any more. Returns `api`.
 */
export function bridgeCoWechatApi<T extends CoWechatApiLike>(api: T, bridge: CredentialBridge, key: AppKey): T {
  if (typeof api !== 'object' || api === null || typeof api.registerTicketHandle !== 'function')
    throw invalidArgument('api', 'must be a co-wechat-api instance (new API(appid, secret))')
  const tokens = new SdkTokens(bridge, key)
  // The SDK reports a rejection by saving `null` just before it asks for a new token.
  const state = { rejected: false }
  const hooks = hooksOver(tokens, state)
  api.getToken = hooks.getToken
  api.saveToken = hooks.saveToken
  api.registerTicketHandle(hooks.getTicketToken, hooks.saveTicketToken)
  api.getAccessToken = (): Promise<SdkAccessToken> => {
    if (!state.rejected) return tokens.requireToken()
    state.rejected = false
    return tokens.replaceRejected()
  }
  api.getTicket = (type?: unknown): Promise<SdkTicket> => tokens.requireTicket(type)
  return api
}

function hooksOver(tokens: SdkTokens, state: { rejected: boolean }): CoWechatApiHooks {
  return {
    getToken: () => tokens.token(),
    saveToken: (token) => {
      if (token === null || token === undefined) {
        state.rejected = true
        return Promise.resolve()
      }
      return tokens.save(token)
    },
    getTicketToken: (type) => tokens.ticket(type),
    // Its older one-argument form: saveTicketToken(ticket) for a jsapi ticket.
    saveTicketToken: (type, ticket) =>
      ticket === undefined ? tokens.saveTicket('jsapi', type) : tokens.saveTicket(type, ticket),
  }
}
