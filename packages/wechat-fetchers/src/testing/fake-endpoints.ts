import { sessionSignature } from '../signed-call.js'
import { COMPONENT_HANDLERS, FAKE_COMPONENT_ENDPOINTS } from './fake-component-endpoints.js'
import { FakeFault, type FakeState } from './fake-state.js'

/** The endpoints the fake serves, by the name counters, quotas, latency and injected faults use. */
export const FAKE_ENDPOINTS = {
  token: '/cgi-bin/token',
  stable_token: '/cgi-bin/stable_token',
  qq_token: '/api/getToken',
  getticket: '/cgi-bin/ticket/getticket',
  jscode2session: '/sns/jscode2session',
  checksession: '/wxa/checksession',
  resetusersessionkey: '/wxa/resetusersessionkey',
  getuserencryptkey: '/wxa/business/getuserencryptkey',
  oauth2_access_token: '/sns/oauth2/access_token',
  oauth2_refresh_token: '/sns/oauth2/refresh_token',
  /** Not a platform API: stands for any business call made with an access_token (answers 40001 / 42001 for a dead one). */
  business: '/fake/business',
  /** The server IPs WeChat calls from: the simplest real business call (`api.getIp()` in wechat-api / co-wechat-api). */
  getcallbackip: '/cgi-bin/getcallbackip',
  /** The daily quota of one API (`cgi_path`): limit, used, left. */
  quota_get: '/cgi-bin/openapi/quota/get',
  /** Resets the account's daily quotas with an access_token (10 resets a month, shared with v2). */
  clear_quota: '/cgi-bin/clear_quota',
  /** Resets them with appid + appsecret: works when no access_token can be had. */
  clear_quota_v2: '/cgi-bin/clear_quota/v2',
  /** What a request id (`rid` at the end of an errmsg) was: URL, body, answer, the caller's IP. */
  rid_get: '/cgi-bin/openapi/rid/get',
  /** The Open Platform's component endpoints (see fake-component-endpoints.ts). */
  ...FAKE_COMPONENT_ENDPOINTS,
} as const
export type FakeEndpoint = keyof typeof FAKE_ENDPOINTS

export interface FakeRequest {
  query: URLSearchParams
  /** The JSON body of a POST, `{}` otherwise. */
  body: Record<string, unknown>
}

export type FakeReply = Record<string, unknown>
type Handler = (state: FakeState, request: FakeRequest) => FakeReply

const q = (request: FakeRequest, name: string): string | undefined => request.query.get(name) ?? undefined
const ok = (reply: FakeReply): FakeReply => ({ errcode: 0, errmsg: 'ok', ...reply })

function classicToken(state: FakeState, request: FakeRequest): FakeReply {
  if (q(request, 'grant_type') !== 'client_credential') throw new FakeFault(40002, 'invalid grant_type')
  const app = state.authenticate(q(request, 'appid'), q(request, 'secret'))
  const { token, expiresIn } = state.issueClassic(app)
  return { access_token: token, expires_in: expiresIn }
}

/** The signed calls: a live access_token, and `signature` = hmac_sha256(session_key, ""). */
function signedUser(state: FakeState, request: FakeRequest) {
  const app = state.checkToken(q(request, 'access_token'))
  if (q(request, 'sig_method') !== 'hmac_sha256') throw new FakeFault(87009, 'invalid sig_method')
  const openid = q(request, 'openid')
  return { app, openid: openid!, user: state.checkSignature(app, openid, q(request, 'signature'), sessionSignature) }
}

/** One handler per endpoint; each throws `FakeFault` for what the platform would refuse. */
export const HANDLERS: Record<FakeEndpoint, Handler> = {
  ...COMPONENT_HANDLERS,
  token: classicToken,
  qq_token: classicToken,

  stable_token(state, { body }) {
    if (body.grant_type !== 'client_credential') throw new FakeFault(40002, 'invalid grant_type')
    const app = state.authenticate(String(body.appid ?? ''), typeof body.secret === 'string' ? body.secret : undefined)
    const { token, expiresIn } = state.issueStable(app, body.force_refresh === true)
    return { access_token: token, expires_in: expiresIn }
  },

  getticket(state, request) {
    const app = state.checkToken(q(request, 'access_token'))
    const type = q(request, 'type') ?? 'jsapi'
    if (type !== 'jsapi' && type !== 'wx_card') throw new FakeFault(40097, 'invalid args')
    const { ticket, expiresIn } = state.ticket(app, type)
    return ok({ ticket, expires_in: expiresIn })
  },

  jscode2session(state, request) {
    const app = state.authenticate(q(request, 'appid'), q(request, 'secret'))
    const { openid, unionid, sessionKey } = state.redeemLoginCode(app, q(request, 'js_code'))
    return { openid, session_key: sessionKey, ...(unionid ? { unionid } : {}) }
  },

  checksession(state, request) {
    signedUser(state, request)
    return ok({})
  },

  resetusersessionkey(state, request) {
    const { app, openid, user } = signedUser(state, request)
    user.sessionKey = state.redeemLoginCode(app, state.issueLoginCode(app, { openid })).sessionKey
    return ok({ openid, session_key: user.sessionKey })
  },

  getuserencryptkey(state, request) {
    const { user } = signedUser(state, request)
    const life = state.rules.encryptKeyLifetimeSeconds
    return ok({
      key_info_list: state
        .encryptKeys(user)
        .map((key) => ({ ...key, expire_in: life }))
        .reverse(),
    })
  },

  oauth2_access_token(state, request) {
    const app = state.authenticate(q(request, 'appid'), q(request, 'secret'))
    const grant = state.redeemOAuthCode(app, q(request, 'code'))
    return {
      access_token: grant.accessToken,
      expires_in: state.rules.userTokenLifetimeSeconds,
      refresh_token: grant.refreshToken,
      openid: grant.openid,
      scope: grant.scope,
      ...(grant.unionid ? { unionid: grant.unionid } : {}),
    }
  },

  oauth2_refresh_token(state, request) {
    if (q(request, 'grant_type') !== 'refresh_token') throw new FakeFault(40002, 'invalid grant_type')
    const app = state.app(q(request, 'appid') ?? '')
    const refreshToken = q(request, 'refresh_token')
    const grant = state.refreshUserToken(app, refreshToken)
    return {
      access_token: grant.accessToken,
      expires_in: state.rules.userTokenLifetimeSeconds,
      refresh_token: refreshToken,
      openid: grant.openid,
      scope: grant.scope,
    }
  },

  business(state, request) {
    state.checkToken(q(request, 'access_token'))
    return ok({})
  },

  getcallbackip(state, request) {
    state.checkToken(q(request, 'access_token'))
    return { ip_list: ['127.0.0.1'] }
  },

  quota_get(state, request) {
    state.checkToken(q(request, 'access_token'))
    const path = request.body.cgi_path
    if (typeof path !== 'string' || !path.startsWith('/')) throw new FakeFault(76003, 'invalid cgi_path')
    if (!FAKE_PATHS.has(path)) throw new FakeFault(76021, 'cgi_path not found, please check')
    return ok({ quota: state.quota.of(path) })
  },

  clear_quota(state, request) {
    const app = state.checkToken(q(request, 'access_token'))
    if (request.body.appid !== app.appid) throw new FakeFault(40013, 'invalid appid')
    state.quota.clear(app.appid)
    return ok({})
  },

  clear_quota_v2(state, request) {
    // WeChat documents the two fields in the JSON body (older pages: in the query); the fake takes either.
    const field = (name: string) => {
      const value = request.body[name] ?? q(request, name)
      return typeof value === 'string' && value !== '' ? value : undefined
    }
    const appid = field('appid')
    if (appid === undefined) throw new FakeFault(41002, 'appid missing')
    const secret = field('appsecret')
    if (secret === undefined) throw new FakeFault(41004, 'appsecret missing')
    const app = state.authenticate(appid, secret)
    state.quota.clear(app.appid)
    return ok({})
  },

  rid_get(state, request) {
    state.checkToken(q(request, 'access_token'))
    const rid = request.body.rid
    if (typeof rid !== 'string' || rid === '') throw new FakeFault(76002, 'rid is empty or invalid')
    const record = state.requests.get(rid)
    if (record === undefined) throw new FakeFault(76001, 'rid not found')
    return ok({ request: record })
  },
}

const FAKE_PATHS: ReadonlySet<string> = new Set(Object.values(FAKE_ENDPOINTS))
