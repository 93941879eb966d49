import { isPlainObject } from '@open-bridge/core'
import type { PlatformCall } from '../platform-call.js'
import type { PlatformClient } from '../platform-client.js'
import { replySeconds, replyString, type PlatformReply } from '../platform-reply.js'

/** A token or ticket as WeCom answered it: the string and its life in seconds (as the platform said). */
export interface WecomIssued {
  value: string
  expiresIn: number
}

/** Which `get_permanent_code` a suite exchanges its auth codes with (`wecomSource({ suites: [{ permanentCodeApi }] })`). */
export type PermanentCodeApi = 'v1' | 'v2'

/** What `get_permanent_code` answers, read. */
export interface PermanentCodeGrant {
  permanentCode: string
  corpId: string
  /** The agent ids the corp gave the suite's apps (v1); `undefined` for v2, which answers none (`get_auth_info`). */
  agentIds: string[] | undefined
  /** The corp token v1 hands out with it, if any. */
  corpToken: WecomIssued | undefined
}

/** What `get_auth_info` answers, read: the corp and the agent ids it gives the suite's apps now. */
export interface AuthInfo {
  corpId: string
  agentIds: string[]
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

  /**
   * `service/get_permanent_code` (v1) or `service/v2/get_permanent_code` (v2): exchanges a `create_auth` /
   * `reset_permanent_code` auth code. Never retried (the auth code is single use).
   *
   * v1 (developer.work.weixin.qq.com/document/path/90603) answers `permanent_code`, `auth_corp_info.corpid`,
   * `auth_info.agent[]` and a corp `access_token` / `expires_in`. v2 (…/document/path/100776, "shorter to answer")
   * answers only `permanent_code`, `auth_corp_info {corpid, corp_name}`, `auth_user_info`, `register_code_info` and
   * `state`: no agents, no corp token — the agents are read with `get_auth_info`, the token with `get_corp_token`.
   */
  async permanentCode(
    suiteId: string,
    suiteAccessToken: string,
    authCode: string,
    signal: Signal,
    api: PermanentCodeApi = 'v1',
  ): Promise<PermanentCodeGrant> {
    const call = this.#post(
      api === 'v2' ? '/cgi-bin/service/v2/get_permanent_code' : '/cgi-bin/service/get_permanent_code',
      api === 'v2' ? 'v2/get_permanent_code' : 'get_permanent_code',
      suiteId,
      { suite_access_token: suiteAccessToken },
      { auth_code: authCode },
      [suiteAccessToken, authCode],
      { once: true, signal },
    )
    const reply = await this.#client.call(call)
    const corp = isPlainObject(reply.auth_corp_info) ? (reply.auth_corp_info as PlatformReply) : {}
    const permanentCode = replyString(reply, 'permanent_code', call)
    const token =
      api === 'v1' && typeof reply.access_token === 'string' && reply.access_token !== ''
        ? reply.access_token
        : undefined
    return {
      permanentCode,
      corpId: replyString(corp, 'corpid', call),
      agentIds: api === 'v1' ? agentIdsOf(reply) : undefined,
      corpToken: token === undefined ? undefined : { value: token, expiresIn: replySeconds(reply, 'expires_in', 7200) },
    }
  }

  /**
   * `service/get_auth_info` (developer.work.weixin.qq.com/document/14943): `POST ?suite_access_token=`
   * `{auth_corpid, permanent_code}` → `auth_corp_info {corpid, …}`, `auth_info.agent[] {agentid, …}` — the corp's
   * authorisation as it is now (what a `change_auth` push asks the provider to re-read and compare).
   */
  async authInfo(suiteAccessToken: string, corpId: string, permanentCode: string, signal: Signal): Promise<AuthInfo> {
    const call = this.#post(
      '/cgi-bin/service/get_auth_info',
      'get_auth_info',
      corpId,
      { suite_access_token: suiteAccessToken },
      { auth_corpid: corpId, permanent_code: permanentCode },
      [suiteAccessToken, permanentCode],
      { signal },
    )
    const reply = await this.#client.call(call)
    const corp = isPlainObject(reply.auth_corp_info) ? (reply.auth_corp_info as PlatformReply) : {}
    return { corpId: replyString(corp, 'corpid', call), agentIds: agentIdsOf(reply) }
  }

  /**
   * `service/get_pre_auth_code` (developer.work.weixin.qq.com/document/path/90601): `GET ?suite_access_token=` →
   * `{pre_auth_code, expires_in: 1200}`.
   */
  async preAuthCode(suiteId: string, suiteAccessToken: string, signal: Signal): Promise<WecomIssued> {
    const call = this.#get(
      '/cgi-bin/service/get_pre_auth_code',
      'get_pre_auth_code',
      suiteId,
      { suite_access_token: suiteAccessToken },
      [suiteAccessToken],
      { once: true, signal },
    )
    const reply = await this.#client.call(call)
    return { value: replyString(reply, 'pre_auth_code', call), expiresIn: replySeconds(reply, 'expires_in', 1200) }
  }

  /**
   * `service/set_session_info`: `POST ?suite_access_token=` `{pre_auth_code, session_info: {auth_type}}` (0 formal,
   * 1 test authorisation; default 0 — sufeinet.com's copy of WeCom's "设置授权配置" page, next to 90601).
   */
  async setSessionInfo(
    suiteId: string,
    suiteAccessToken: string,
    preAuthCode: string,
    authType: 0 | 1,
    signal: Signal,
  ): Promise<void> {
    const call = this.#post(
      '/cgi-bin/service/set_session_info',
      'set_session_info',
      suiteId,
      { suite_access_token: suiteAccessToken },
      { pre_auth_code: preAuthCode, session_info: { auth_type: authType } },
      [suiteAccessToken, preAuthCode],
      { signal },
    )
    await this.#client.call(call)
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

/** `auth_info.agent[].agentid` of a reply, as strings (an id that is not a plain id is dropped). */
function agentIdsOf(reply: PlatformReply): string[] {
  const agents = isPlainObject(reply.auth_info) ? (reply.auth_info as PlatformReply).agent : undefined
  return (Array.isArray(agents) ? agents : [])
    .map((agent: unknown) => (isPlainObject(agent) ? String((agent as { agentid?: unknown }).agentid ?? '') : ''))
    .filter((agentId: string) => /^[A-Za-z0-9_.-]{1,128}$/.test(agentId))
}

function issued(reply: PlatformReply, field: string, call: PlatformCall): WecomIssued {
  return { value: replyString(reply, field, call), expiresIn: replySeconds(reply, 'expires_in', 7200) }
}
