import { randomBytes } from 'node:crypto'
import { FakeFault, type FakeState } from './fake-state.js'

/** The Open Platform (third-party platform) endpoints the fake serves, by the name counters and faults use. */
export const FAKE_COMPONENT_ENDPOINTS = {
  component_token: '/cgi-bin/component/api_component_token',
  start_push_ticket: '/cgi-bin/component/api_start_push_ticket',
  create_preauthcode: '/cgi-bin/component/api_create_preauthcode',
  query_auth: '/cgi-bin/component/api_query_auth',
  authorizer_token: '/cgi-bin/component/api_authorizer_token',
  get_authorizer_list: '/cgi-bin/component/api_get_authorizer_list',
  /** A mini program's login through its third-party platform. */
  component_jscode2session: '/sns/component/jscode2session',
} as const
export type FakeComponentEndpoint = keyof typeof FAKE_COMPONENT_ENDPOINTS

interface ComponentRequest {
  query: URLSearchParams
  body: Record<string, unknown>
}
type ComponentHandler = (state: FakeState, request: ComponentRequest) => Record<string, unknown>

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** The component named by the body, holding the live component_access_token of the query. */
function tokenHolder(state: FakeState, request: ComponentRequest) {
  const component = state.components.byToken(state, request.query.get('component_access_token') ?? undefined)
  if (request.body.component_appid !== undefined && request.body.component_appid !== component.appid)
    throw new FakeFault(61011, 'invalid component')
  return component
}

/** One handler per component endpoint; each throws `FakeFault` for what the platform would refuse. */
export const COMPONENT_HANDLERS: Record<FakeComponentEndpoint, ComponentHandler> = {
  component_token(state, { body }) {
    const component = state.components.get(body.component_appid)
    if (body.component_appsecret !== component.secret) throw new FakeFault(40125, 'invalid appsecret')
    component.checkTicket(body.component_verify_ticket, state.rules.now(), state.components.rules)
    // A new component token leaves the previous one at most the grace window, as a classic access_token does.
    const { token, expiresIn } = state.issueClassic(
      component.tokenApp,
      state.components.rules.componentTokenLifetimeSeconds,
    )
    return { component_access_token: token, expires_in: expiresIn }
  },

  start_push_ticket(state, { body }) {
    const component = state.components.get(body.component_appid)
    if (body.component_secret !== component.secret) throw new FakeFault(40125, 'invalid appsecret')
    component.pushRequests++
    return { errcode: 0, errmsg: 'ok' }
  },

  create_preauthcode(state, request) {
    const component = tokenHolder(state, request)
    const code = `preauthcode@@@${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`
    component.preAuthCodes.set(code, state.rules.now() + state.components.rules.codeLifetimeSeconds * 1000)
    return { pre_auth_code: code, expires_in: state.components.rules.codeLifetimeSeconds }
  },

  query_auth(state, request) {
    const component = tokenHolder(state, request)
    const authorization = component.redeemAuthCode(request.body.authorization_code, state.rules.now())
    const { token, expiresIn } = state.issueClassic(authorization.app)
    return {
      authorization_info: {
        authorizer_appid: authorization.app.appid,
        authorizer_access_token: token,
        expires_in: expiresIn,
        authorizer_refresh_token: authorization.refreshToken,
        func_info: authorization.funcIds.map((id) => ({ funcscope_category: { id } })),
      },
    }
  },

  authorizer_token(state, request) {
    const component = tokenHolder(state, request)
    const authorization = component.authorizationOf(request.body.authorizer_appid)
    if (request.body.authorizer_refresh_token !== authorization.refreshToken || authorization.refreshTokenInvalid)
      throw new FakeFault(61023, 'refresh_token is invalid')
    const { token, expiresIn } = state.issueClassic(authorization.app)
    if (state.components.rules.rotateRefreshTokens === true)
      authorization.refreshToken = `refreshtoken@@@${randomBytes(24).toString('base64url')}`
    return {
      authorizer_access_token: token,
      expires_in: expiresIn,
      authorizer_refresh_token: authorization.refreshToken,
    }
  },

  get_authorizer_list(state, request) {
    const component = tokenHolder(state, request)
    const { offset = 0, count } = request.body
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new FakeFault(40097, 'invalid args: offset')
    if (!Number.isSafeInteger(count) || (count as number) < 1 || (count as number) > 500)
      throw new FakeFault(40097, 'invalid args: count must be 1 to 500')
    const all = [...component.authorizations.values()]
    return {
      total_count: all.length,
      list: all.slice(offset as number, (offset as number) + (count as number)).map((authorization) => ({
        authorizer_appid: authorization.app.appid,
        refresh_token: authorization.refreshToken,
        auth_time: authorization.authTime,
      })),
    }
  },

  component_jscode2session(state, { query }) {
    if (query.get('grant_type') !== 'authorization_code') throw new FakeFault(40002, 'invalid grant_type')
    const component = state.components.byToken(state, query.get('component_access_token') ?? undefined)
    if (query.get('component_appid') !== component.appid) throw new FakeFault(61011, 'invalid component')
    const authorization = component.authorizationOf(text(query.get('appid')))
    const { openid, unionid, sessionKey } = state.redeemLoginCode(authorization.app, query.get('js_code') ?? undefined)
    return { openid, session_key: sessionKey, ...(unionid ? { unionid } : {}) }
  },
}
