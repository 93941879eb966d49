import { isPlainObject } from '@open-bridge/core'
import type { PlatformCall } from '../platform-call.js'
import type { PlatformClient } from '../platform-client.js'
import { replySeconds, replyString, type PlatformReply } from '../platform-reply.js'

/** A token or ticket as WeCom answered it: the string and its life in seconds (as the platform said). */
export interface WecomIssued {
  value: string
  expiresIn: number
}

/** What `get_permanent_code` answers, read. */
export interface PermanentCodeGrant {
  permanentCode: string
  corpId: string
  /** The agent ids the corp gave the suite's apps. */
  agentIds: string[]
  /** The corp token v1 hands out with it, if any. */
  corpToken: WecomIssued | undefined
}

type Signal = AbortSignal | undefined

/**
 * WeCom's credential endpoints, one platform call each (transient failures retried by the shared client, every
 * secret, ticket, code and token masked in errors). It caches nothing: the source and the suite callback do.
 */
export class WecomClient {
  readonly #client: PlatformClient

  constructor(client: PlatformClient) {
    this.#client = client
  }

  /** `gettoken`: a self-built app's access_token. */
  async getToken(corpId: string, secret: string, signal: Signal): Promise<WecomIssued> {
    const call = this.#get('/cgi-bin/gettoken', 'gettoken', corpId, { corpid: corpId, corpsecret: secret }, [secret], {
      tokenEndpoint: true,
      signal,
    })
    return issued(await this.#client.call(call), 'access_token', call)
  }

  /** `get_jsapi_ticket`: the corp's JS-SDK ticket. */
  async jsapiTicket(corpId: string, accessToken: string, signal: Signal): Promise<WecomIssued> {
    const call = this.#get(
      '/cgi-bin/get_jsapi_ticket',
      'get_jsapi_ticket',
      corpId,
      { access_token: accessToken },
      [accessToken],
      {
        signal,
      },
    )
    return issued(await this.#client.call(call), 'ticket', call)
  }

  /** `ticket/get?type=agent_config`: the app's JS-SDK ticket. */
  async agentTicket(corpId: string, accessToken: string, signal: Signal): Promise<WecomIssued> {
    const call = this.#get(
      '/cgi-bin/ticket/get',
      'ticket/get (agent_config)',
      corpId,
      { access_token: accessToken, type: 'agent_config' },
      [accessToken],
      { signal },
    )
    return issued(await this.#client.call(call), 'ticket', call)
  }

  /** `service/get_suite_token`: a suite_access_token for the newest pushed suite_ticket. */
  async suiteToken(suiteId: string, suiteSecret: string, suiteTicket: string, signal: Signal): Promise<WecomIssued> {
    const call = this.#post(
      '/cgi-bin/service/get_suite_token',
      'get_suite_token',
      suiteId,
      {},
      { suite_id: suiteId, suite_secret: suiteSecret, suite_ticket: suiteTicket },
      [suiteSecret, suiteTicket],
      { tokenEndpoint: true, signal },
    )
    return issued(await this.#client.call(call), 'suite_access_token', call)
  }

  /** `service/get_permanent_code`: exchanges a `create_auth` / `reset_permanent_code` auth code. Never retried. */
  async permanentCode(
    suiteId: string,
    suiteAccessToken: string,
    authCode: string,
    signal: Signal,
  ): Promise<PermanentCodeGrant> {
    const call = this.#post(
      '/cgi-bin/service/get_permanent_code',
      'get_permanent_code',
      suiteId,
      { suite_access_token: suiteAccessToken },
      { auth_code: authCode },
      [suiteAccessToken, authCode],
      { once: true, signal },
    )
    const reply = await this.#client.call(call)
    const corp = isPlainObject(reply.auth_corp_info) ? (reply.auth_corp_info as PlatformReply) : {}
    const permanentCode = replyString(reply, 'permanent_code', call)
    const agents = isPlainObject(reply.auth_info) ? (reply.auth_info as PlatformReply).agent : undefined
    const agentIds = (Array.isArray(agents) ? agents : [])
      .map((agent: unknown) => (isPlainObject(agent) ? String((agent as { agentid?: unknown }).agentid ?? '') : ''))
      .filter((agentId: string) => /^[A-Za-z0-9_.-]{1,128}$/.test(agentId))
    const token = typeof reply.access_token === 'string' && reply.access_token !== '' ? reply.access_token : undefined
    return {
      permanentCode,
      corpId: replyString(corp, 'corpid', call),
      agentIds,
      corpToken: token === undefined ? undefined : { value: token, expiresIn: replySeconds(reply, 'expires_in', 7200) },
    }
  }

  /** `service/get_corp_token`: an authorised corp's access_token from its permanent code. */
  async corpToken(
    suiteAccessToken: string,
    corpId: string,
    permanentCode: string,
    signal: Signal,
  ): Promise<WecomIssued> {
    const call = this.#post(
      '/cgi-bin/service/get_corp_token',
      'get_corp_token',
      corpId,
      { suite_access_token: suiteAccessToken },
      { auth_corpid: corpId, permanent_code: permanentCode },
      [suiteAccessToken, permanentCode],
      { signal },
    )
    return issued(await this.#client.call(call), 'access_token', call)
  }

  /** `service/get_provider_token`: the service provider's token. */
  async providerToken(corpId: string, providerSecret: string, signal: Signal): Promise<WecomIssued> {
    const call = this.#post(
      '/cgi-bin/service/get_provider_token',
      'get_provider_token',
      corpId,
      {},
      { corpid: corpId, provider_secret: providerSecret },
      [providerSecret],
      { tokenEndpoint: true, signal },
    )
    return issued(await this.#client.call(call), 'provider_access_token', call)
  }

  #get(
    path: string,
    endpoint: string,
    id: string,
    query: Record<string, string>,
    secrets: string[],
    extra: Partial<PlatformCall>,
  ): PlatformCall {
    return { host: 'weixin', path, endpoint, query, appid: id, secrets, ...extra }
  }

  #post(
    path: string,
    endpoint: string,
    id: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
    secrets: string[],
    extra: Partial<PlatformCall>,
  ): PlatformCall {
    return { host: 'weixin', method: 'POST', path, endpoint, query, body, appid: id, secrets, ...extra }
  }
}

function issued(reply: PlatformReply, field: string, call: PlatformCall): WecomIssued {
  return { value: replyString(reply, field, call), expiresIn: replySeconds(reply, 'expires_in', 7200) }
}
