import { isPlainObject } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import { resolveOptions, type WechatSourceOptions } from '../options.js'
import type { PlatformCall } from '../platform-call.js'
import { PlatformClient } from '../platform-client.js'
import { replySeconds, replyString, type PlatformReply } from '../platform-reply.js'

/** Where and how the component API calls go: the transport options of `wechatSource` (host, dispatcher, retry, …). */
export type ComponentApiOptions = Pick<
  WechatSourceOptions,
  'baseUrl' | 'dispatcher' | 'retry' | 'timeouts' | 'maxReplyBytes'
>

/** A third-party platform (component): its appid and secret (the secret never leaves this object but in calls). */
export interface ComponentCredentials {
  componentAppid: string
  componentSecret: string
}

/** An account's authorisation, as `api_query_auth` returns it. */
export interface AuthorizationInfo {
  authorizerAppid: string
  authorizerAccessToken: string
  /** Seconds the token lives, as the platform said. */
  expiresIn: number
  /** Cannot be fetched again but from `api_get_authorizer_list`: store it durably. */
  authorizerRefreshToken: string
  /** The permission set ids granted (`func_info[].funcscope_category.id`). */
  funcIds: number[]
}

export interface AuthorizerToken {
  authorizerAccessToken: string
  expiresIn: number
  /** The refresh token the platform returned: always store it. */
  authorizerRefreshToken: string
}

export interface AuthorizerListEntry {
  authorizerAppid: string
  refreshToken: string
  /** Unix seconds of the authorisation. */
  authTime: number
}

/**
 * The WeChat Open Platform's component API for one third-party platform: each method is one platform call (transient
 * failures retried as the WeChat source retries them), its reply checked and typed; a non-zero errcode is a
 * `PlatformApiError` (61005 / 61006: the verify ticket is expired / invalid; 61023: the account's refresh token is
 * invalid — it must authorise again; 61003: the account has not authorised this component; 61004: this server's IP is
 * not in the platform's whitelist, with `ipDiagnosis`). Secrets, tickets and tokens are masked in every error.
 * This is the transport a third-party platform's credential source builds on; it caches nothing.
 */
export interface ComponentApi {
  readonly componentAppid: string
  /** `api_component_token`: a component_access_token for a pushed `component_verify_ticket`. Never retried. */
  componentToken(verifyTicket: string): Promise<{ componentAccessToken: string; expiresIn: number }>
  /** `api_start_push_ticket`: asks WeChat to resume pushing verify tickets (they arrive at the event URL). */
  startPushTicket(): Promise<void>
  /** `api_create_preauthcode`: a single-use code for the authorisation page. */
  createPreAuthCode(componentAccessToken: string): Promise<{ preAuthCode: string; expiresIn: number }>
  /** The authorisation page an account's administrator is sent to (`componentloginpage`). */
  authorizationPageUrl(input: { preAuthCode: string; redirectUri: string; authType?: 1 | 2 | 3 }): string
  /** `api_query_auth`: exchanges the authorisation code (from the redirect or the `authorized` push). Never retried. */
  queryAuth(componentAccessToken: string, authorizationCode: string): Promise<AuthorizationInfo>
  /** `api_authorizer_token`: a new authorizer access token for the account (the previous one lives ~5 min more). */
  authorizerToken(componentAccessToken: string, authorizerAppid: string, refreshToken: string): Promise<AuthorizerToken>
  /** `api_get_authorizer_list`, one page (`count` 1–500). */
  authorizerList(
    componentAccessToken: string,
    page: { offset: number; count: number },
  ): Promise<{ totalCount: number; list: AuthorizerListEntry[] }>
  /** Every authorised account with its refresh token, page by page (500 a page): the way to recover lost ones. */
  allAuthorizers(componentAccessToken: string): Promise<AuthorizerListEntry[]>
  /** Closes the connection pool (not a dispatcher passed in). */
  close(): Promise<void>
}

const APPID = /^wx[0-9a-zA-Z]{14,30}$/
const AUTH_PAGE = 'https://mp.weixin.qq.com/cgi-bin/componentloginpage'

/**
 * The component API of one third-party platform.
 *
 * ```ts
 * const api = componentApi({ componentAppid, componentSecret })
 * const { componentAccessToken } = await api.componentToken(ticketFromThePush)
 * const accounts = await api.allAuthorizers(componentAccessToken) // every refresh token, recovered
 * ```
 */
export function componentApi(credentials: ComponentCredentials, options: ComponentApiOptions = {}): ComponentApi {
  const checked = checkComponentCredentials(credentials, '')
  return componentApiOver(new PlatformClient(resolveOptions(options)), checked, true)
}

/**
 * Checks a component's appid and secret; `at` prefixes the fields named in errors (`openPlatform.components[0].`).
 * Returns a copy holding the two fields only.
 */
export function checkComponentCredentials(credentials: unknown, at: string): ComponentCredentials {
  if (!isPlainObject(credentials))
    throw invalidArgument(at === '' ? 'credentials' : at.slice(0, -1), 'must be an object')
  const { componentAppid, componentSecret } = credentials as Record<string, unknown>
  if (typeof componentAppid !== 'string' || !APPID.test(componentAppid))
    throw invalidArgument(`${at}componentAppid`, 'must be a WeChat appid (wx…)')
  if (typeof componentSecret !== 'string' || componentSecret.length === 0)
    throw invalidArgument(`${at}componentSecret`, 'must be a non-empty string')
  return { componentAppid, componentSecret }
}

/**
 * The component API over an existing client (a `wechatSource`'s: one pool, one retry policy). `owns`: whether
 * `close()` closes the client.
 */
export function componentApiOver(
  client: PlatformClient,
  credentials: ComponentCredentials,
  owns: boolean,
): ComponentApi {
  const { componentAppid, componentSecret } = credentials

  const post = (
    path: string,
    endpoint: string,
    body: Record<string, unknown>,
    secrets: (string | undefined)[],
    extra: Partial<PlatformCall> = {},
  ): Promise<PlatformReply> =>
    client.call({
      host: 'weixin',
      method: 'POST',
      path: `/cgi-bin/component/${path}`,
      endpoint,
      query: {},
      body: { component_appid: componentAppid, ...body },
      appid: componentAppid,
      secrets,
      ...extra,
    })
  const withToken = (
    path: string,
    token: string,
    body: Record<string, unknown>,
    secrets: (string | undefined)[] = [],
    once = false,
  ) => {
    if (typeof token !== 'string' || token.length === 0)
      throw invalidArgument('componentAccessToken', 'must be a non-empty string')
    return post(path, path, body, [token, ...secrets], { query: { component_access_token: token }, once })
  }
  const call = { endpoint: '', appid: componentAppid }
  const text = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value.length === 0) throw invalidArgument(field, 'must be a non-empty string')
    return value
  }

  const api: ComponentApi = {
    componentAppid,

    async componentToken(verifyTicket) {
      const ticket = text(verifyTicket, 'verifyTicket')
      const reply = await post(
        'api_component_token',
        'api_component_token',
        { component_appsecret: componentSecret, component_verify_ticket: ticket },
        [componentSecret, ticket],
        { tokenEndpoint: true, once: true },
      )
      return {
        componentAccessToken: replyString(reply, 'component_access_token', {
          ...call,
          endpoint: 'api_component_token',
        }),
        expiresIn: replySeconds(reply, 'expires_in', 7200),
      }
    },

    async startPushTicket() {
      await post('api_start_push_ticket', 'api_start_push_ticket', { component_secret: componentSecret }, [
        componentSecret,
      ])
    },

    async createPreAuthCode(componentAccessToken) {
      const reply = await withToken('api_create_preauthcode', componentAccessToken, {})
      return {
        preAuthCode: replyString(reply, 'pre_auth_code', { ...call, endpoint: 'api_create_preauthcode' }),
        expiresIn: replySeconds(reply, 'expires_in', 600),
      }
    },

    authorizationPageUrl({ preAuthCode, redirectUri, authType = 3 }) {
      text(preAuthCode, 'preAuthCode')
      let redirect: URL
      try {
        redirect = new URL(text(redirectUri, 'redirectUri'))
      } catch {
        throw invalidArgument('redirectUri', 'must be an absolute http(s) URL')
      }
      if (redirect.protocol !== 'https:' && redirect.protocol !== 'http:')
        throw invalidArgument('redirectUri', 'must be an absolute http(s) URL')
      if (authType !== 1 && authType !== 2 && authType !== 3)
        throw invalidArgument('authType', 'must be 1 (official accounts), 2 (mini programs) or 3 (both)')
      const url = new URL(AUTH_PAGE)
      url.searchParams.set('component_appid', componentAppid)
      url.searchParams.set('pre_auth_code', preAuthCode)
      url.searchParams.set('redirect_uri', redirect.href)
      url.searchParams.set('auth_type', String(authType))
      return url.href
    },

    async queryAuth(componentAccessToken, authorizationCode) {
      const code = text(authorizationCode, 'authorizationCode')
      const reply = await withToken('api_query_auth', componentAccessToken, { authorization_code: code }, [code], true)
      const info = isPlainObject(reply.authorization_info) ? (reply.authorization_info as PlatformReply) : {}
      const at = { ...call, endpoint: 'api_query_auth' }
      const funcInfo = Array.isArray(info.func_info) ? info.func_info : []
      return {
        authorizerAppid: replyString(info, 'authorizer_appid', at),
        authorizerAccessToken: replyString(info, 'authorizer_access_token', at),
        expiresIn: replySeconds(info, 'expires_in', 7200),
        authorizerRefreshToken: replyString(info, 'authorizer_refresh_token', at),
        funcIds: funcInfo
          .map((entry: unknown) => Number((entry as { funcscope_category?: { id?: unknown } })?.funcscope_category?.id))
          .filter((id: number) => Number.isSafeInteger(id)),
      }
    },

    async authorizerToken(componentAccessToken, authorizerAppid, refreshToken) {
      if (typeof authorizerAppid !== 'string' || !APPID.test(authorizerAppid))
        throw invalidArgument('authorizerAppid', 'must be a WeChat appid (wx…)')
      const refresh = text(refreshToken, 'refreshToken')
      const reply = await withToken(
        'api_authorizer_token',
        componentAccessToken,
        { authorizer_appid: authorizerAppid, authorizer_refresh_token: refresh },
        [refresh],
      )
      const at = { endpoint: 'api_authorizer_token', appid: authorizerAppid }
      return {
        authorizerAccessToken: replyString(reply, 'authorizer_access_token', at),
        expiresIn: replySeconds(reply, 'expires_in', 7200),
        // Always store what came back; an answer without one leaves the one sent in force.
        authorizerRefreshToken:
          typeof reply.authorizer_refresh_token === 'string' && reply.authorizer_refresh_token !== ''
            ? reply.authorizer_refresh_token
            : refresh,
      }
    },

    async authorizerList(componentAccessToken, page) {
      const { offset, count } = isPlainObject(page) ? page : ({} as { offset?: unknown; count?: unknown })
      if (!Number.isSafeInteger(offset) || (offset as number) < 0)
        throw invalidArgument('page.offset', 'must be an integer ≥ 0')
      if (!Number.isSafeInteger(count) || (count as number) < 1 || (count as number) > 500)
        throw invalidArgument('page.count', 'must be an integer from 1 to 500')
      const reply = await withToken('api_get_authorizer_list', componentAccessToken, { offset, count })
      const list = Array.isArray(reply.list) ? reply.list : undefined
      const total = Number(reply.total_count)
      if (list === undefined || !Number.isSafeInteger(total) || total < 0) {
        throw new WechatError(
          'E_HTTP',
          `api_get_authorizer_list for appid ${componentAppid} answered without total_count and list`,
          { appid: componentAppid },
        )
      }
      const entries: AuthorizerListEntry[] = []
      for (const entry of list as unknown[]) {
        const {
          authorizer_appid: appid,
          refresh_token: refresh,
          auth_time: authTime,
        } = (isPlainObject(entry) ? entry : {}) as Record<string, unknown>
        if (typeof appid !== 'string' || typeof refresh !== 'string' || refresh === '') continue
        entries.push({ authorizerAppid: appid, refreshToken: refresh, authTime: Number(authTime) || 0 })
      }
      return { totalCount: total, list: entries }
    },

    async allAuthorizers(componentAccessToken) {
      const all: AuthorizerListEntry[] = []
      for (let offset = 0; ; offset += 500) {
        const page = await api.authorizerList(componentAccessToken, { offset, count: 500 })
        all.push(...page.list)
        if (page.list.length === 0 || offset + 500 >= page.totalCount) return all
      }
    },

    close: () => (owns ? client.close() : Promise.resolve()),
  }
  return api
}
