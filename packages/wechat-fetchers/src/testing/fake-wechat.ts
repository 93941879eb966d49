import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { FAKE_ENDPOINTS, HANDLERS, type FakeEndpoint, type FakeReply, type FakeRequest } from './fake-endpoints.js'
import { streamHugeJson } from './huge-reply.js'
import { FakeComponent, FakeComponents } from './fake-component.js'
import { FakeApp, FakeFault, FakeState, type FakeEncryptKey } from './fake-state.js'
import { pushSender, type SendOptions, type SentPush } from './push-sender.js'
import { invalidArgument } from '../errors.js'
import { fakeIpErrmsg, type FakeIpErrcode } from './fake-ip-errors.js'
import { FakeRequestLog } from './fake-request-log.js'

export interface FakeWeChatOptions {
  /** Apps the fake knows (more with `addApp`). Any other appid gets 40013; a wrong secret 40125. */
  apps?: { appid: string; secret: string }[]
  /** Life of a new access_token, in seconds. Default 7200. */
  tokenLifetimeSeconds?: number
  /** How long the previous classic token lives on after a new one is issued, in seconds. Default 300. */
  graceSeconds?: number
  /**
   * Stable tokens: `stable_token` hands back the same token until it has this many seconds left, then a new one
   * (the old one lives on until its own expiry). Default `graceSeconds`.
   */
  stableRotationSeconds?: number
  /** Life of a JS-SDK ticket, in seconds. Default 7200. */
  ticketLifetimeSeconds?: number
  /** Life of an encrypt key, in seconds. Default 3600. */
  encryptKeyLifetimeSeconds?: number
  /** Life of a web OAuth user access_token, in seconds. Default 7200. */
  userTokenLifetimeSeconds?: number
  /** Delay before each answer, in ms: one for all endpoints or per endpoint. Default 0. */
  latencyMs?: number | Partial<Record<FakeEndpoint, number>>
  /**
   * Calls an endpoint answers a day before it answers 45009 (daily quota used up): its `daily_limit` in
   * `openapi/quota/get`. Default: no limit (quota/get reports 100000). `clear_quota` (v1 or v2) resets the count.
   */
  quotas?: Partial<Record<FakeEndpoint, number>>
  /** The caller's IP as the platform reports it (IP errors, `rid/get`'s `client_ip`). Default: the socket's address. */
  clientIp?: string
  /** Third-party platforms (components) the fake knows (more with `addComponent`). */
  components?: FakeComponentSpec[]
  /** How long a pushed component_verify_ticket is accepted, in seconds. Default 43200 (12 h, as WeChat). */
  componentTicketLifetimeSeconds?: number
  /** Life of a pre-auth code and of an authorisation code, in seconds. Default 600. */
  authorizationCodeLifetimeSeconds?: number
  /**
   * Each `api_authorizer_token` returns a new authorizer_refresh_token and the one sent dies (61023 from then on).
   * Default false (WeChat keeps it until the account authorises again): tests that the newest one is always stored.
   */
  rotateAuthorizerRefreshTokens?: boolean
  /** Life of a component_access_token, in seconds. Default `tokenLifetimeSeconds` (authorizer tokens keep that one). */
  componentTokenLifetimeSeconds?: number
  /** The platform's clock, in ms. Default `Date.now`: inject one to test expiry without waiting. */
  now?: () => number
  /** Port on 127.0.0.1. Default 0 (a free one). */
  port?: number
}

/**
 * A fault to answer instead of the real reply: a platform errcode, an HTTP status (e.g. 503), or a reply of
 * `bodyBytes` bytes (a 200 with a JSON object `{"access_token":"aaaa…"}` that size, streamed; with a
 * `Content-Length` when `declareLength`, chunked otherwise) — to test that a client bounds what it reads.
 */
export type FakeInjection =
  | { errcode: number; errmsg?: string }
  | { status: number }
  | { bodyBytes: number; declareLength?: boolean }

/** A third-party platform (component): its secret, and the push Token / EncodingAESKey its pushes use. */
export interface FakeComponentSpec {
  appid: string
  secret: string
  token: string
  encodingAESKey: string
}

/** A push the fake sent, or `undefined` when no URL was given. */
export type FakePush = SentPush | undefined

export interface FakeUserSpec {
  openid: string
  unionid?: string
}

/**
 * A real HTTP server on loopback that behaves like WeChat's server APIs (and QQ's getToken). Point a
 * source at it with `wechatSource({ baseUrl: fake.url })`.
 */
export interface FakeWeChat {
  /** `http://127.0.0.1:<port>`: serves both the WeChat and the QQ paths. */
  readonly url: string
  /** Requests an endpoint received (including refused ones) since start or `resetCalls`. */
  calls(endpoint: FakeEndpoint): number
  resetCalls(): void
  addApp(app: { appid: string; secret: string }): void
  /** A one-time wx.login code for jscode2session (the session_key is new unless given). */
  issueLoginCode(appid: string, user: FakeUserSpec & { sessionKey?: string }): string
  /** A one-time web OAuth code for sns/oauth2/access_token. */
  issueOAuthCode(appid: string, user: FakeUserSpec & { scope?: string }): string
  /** The user's current session_key, as the platform holds it. */
  sessionKeyOf(appid: string, openid: string): string | undefined
  /** Adds an encrypt key version for the user (the platform keeps three); returns it. */
  rotateEncryptKey(appid: string, openid: string): FakeEncryptKey
  /** Whether an app access_token is live now: what a business call would accept. */
  isTokenValid(token: string): boolean
  /** Whether a web OAuth user access_token is live now. */
  isUserTokenValid(token: string): boolean
  /** Answers the next `times` calls of `endpoint` with `fault` (after counting them). */
  inject(endpoint: FakeEndpoint, fault: FakeInjection, times?: number): void
  /**
   * An outage: every call of `endpoints` (default: all) is answered with `fault` (after counting it) until
   * `endOutage()`. Queued `inject` faults come first.
   */
  startOutage(fault: FakeInjection, endpoints?: FakeEndpoint[]): void
  endOutage(): void
  /** Kills an app access_token at once: business calls with it answer 40001 from now on. Resolves whether it was live. */
  revokeToken(token: string): boolean
  /** How many new app access_tokens the fake has issued (a stable_token call that returns the current one issues none). */
  tokensIssued(): number
  /** Bytes the fake has written for `bodyBytes` injections so far (a client that cuts the socket early stops it). */
  hugeBytesSent(): number
  /** Changes the delay of one endpoint, or of all. */
  setLatency(ms: number, endpoint?: FakeEndpoint): void
  /**
   * Refuses the caller's IP from now on (until `allowIp()`): every call of `endpoints` (default: all) answers
   * `errcode` with the errmsg WeChat sends for it, naming `ip` (default: `clientIp`, else the socket's address)
   * and the request's rid. Queued `inject` faults and an outage come first.
   */
  refuseIp(errcode: FakeIpErrcode, options?: { ip?: string; endpoints?: FakeEndpoint[] }): void
  allowIp(): void
  /** The rid of the last request of `endpoint` the fake answered (the platform shows rids in errmsgs only). */
  lastRid(endpoint: FakeEndpoint): string | undefined
  /** Resets (clear_quota v1 + v2) the account has spent this month: at most 10, then 48006. */
  quotaClears(appid: string): number
  /** Adds a third-party platform (component). */
  addComponent(component: FakeComponentSpec): void
  /**
   * Mints the component's next `component_verify_ticket` (each valid `componentTicketLifetimeSeconds`) and, given
   * `url`, pushes it there encrypted, as WeChat does every 10 minutes. Resolves the ticket and the push.
   */
  pushTicket(
    componentAppid: string,
    url?: string | URL,
    options?: SendOptions,
  ): Promise<{ ticket: string; sent: FakePush }>
  /**
   * An account authorises the component (again): resolves the authorisation code `api_query_auth` takes and,
   * given `url`, the `authorized` push (`updateauthorized` for an account already authorised) sent there.
   */
  authorize(
    componentAppid: string,
    authorizerAppid: string,
    options?: { url?: string | URL; funcIds?: number[] },
  ): Promise<{ authorizationCode: string; sent: FakePush }>
  /** The account withdraws: its refresh token and tokens die at once; given `url`, `unauthorized` is pushed there. */
  unauthorize(componentAppid: string, authorizerAppid: string, url?: string | URL): Promise<{ sent: FakePush }>
  /** The account's authorizer_refresh_token as the platform holds it (`undefined` if not authorised). */
  authorizerRefreshToken(componentAppid: string, authorizerAppid: string): string | undefined
  /** How many `api_start_push_ticket` calls the component made. */
  pushTicketRequests(componentAppid: string): number
  /**
   * The platform refuses the account's refresh token from now on (61023, also listed unchanged by
   * `api_get_authorizer_list`) until it authorises again (`authorize`). Resolves whether it was authorised.
   */
  invalidateAuthorizerRefreshToken(componentAppid: string, authorizerAppid: string): boolean
  close(): Promise<void>
}

const ROUTES = new Map(Object.entries(FAKE_ENDPOINTS).map(([name, path]) => [path as string, name as FakeEndpoint]))

export async function startFakeWeChat(options: FakeWeChatOptions = {}): Promise<FakeWeChat> {
  const state = new FakeState(
    {
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 7200,
      graceSeconds: options.graceSeconds ?? 300,
      stableRotationSeconds: options.stableRotationSeconds ?? options.graceSeconds ?? 300,
      ticketLifetimeSeconds: options.ticketLifetimeSeconds ?? 7200,
      encryptKeyLifetimeSeconds: options.encryptKeyLifetimeSeconds ?? 3600,
      userTokenLifetimeSeconds: options.userTokenLifetimeSeconds ?? 7200,
      now: options.now ?? Date.now,
    },
    new Map(
      Object.entries(options.quotas ?? {}).map(([endpoint, limit]) => [
        FAKE_ENDPOINTS[endpoint as FakeEndpoint],
        limit,
      ]),
    ),
    new FakeComponents({
      ticketLifetimeSeconds: options.componentTicketLifetimeSeconds ?? 43_200,
      codeLifetimeSeconds: options.authorizationCodeLifetimeSeconds ?? 600,
      rotateRefreshTokens: options.rotateAuthorizerRefreshTokens === true,
      ...(options.componentTokenLifetimeSeconds === undefined
        ? {}
        : { componentTokenLifetimeSeconds: options.componentTokenLifetimeSeconds }),
    }),
  )
  const addComponent = (spec: FakeComponentSpec) =>
    state.components.add(new FakeComponent(spec.appid, spec.secret, spec.token, spec.encodingAESKey))
  for (const spec of options.components ?? []) addComponent(spec)
  const componentOf = (appid: string): FakeComponent => {
    try {
      return state.components.get(appid)
    } catch {
      throw invalidArgument('componentAppid', 'is not a component the fake knows (addComponent first)')
    }
  }
  /** Pushes `xml` to `url` as the component's platform would (encrypted with its Token and EncodingAESKey). */
  const push = async (
    component: FakeComponent,
    url: string | URL | undefined,
    xml: string,
    sendOptions?: SendOptions,
  ) =>
    url === undefined
      ? undefined
      : pushSender({
          token: component.token,
          encodingAESKey: component.encodingAESKey,
          receiveId: component.appid,
        }).send(url, xml, sendOptions)
  const event = (component: FakeComponent, infoType: string, fields: Record<string, string | number>) =>
    `<xml><AppId><![CDATA[${component.appid}]]></AppId><CreateTime>${Math.floor(state.rules.now() / 1000)}</CreateTime>` +
    `<InfoType><![CDATA[${infoType}]]></InfoType>${Object.entries(fields)
      .map(([name, value]) =>
        typeof value === 'number' ? `<${name}>${value}</${name}>` : `<${name}><![CDATA[${value}]]></${name}>`,
      )
      .join('')}</xml>`
  const addApp = (app: { appid: string; secret: string }) =>
    void state.apps.set(app.appid, new FakeApp(app.appid, app.secret))
  for (const app of options.apps ?? []) addApp(app)

  const counters = new Map<FakeEndpoint, number>()
  const injections = new Map<FakeEndpoint, FakeInjection[]>()
  const latency = new Map<FakeEndpoint | '*', number>()
  let hugeSent = 0
  let outage: { fault: FakeInjection; endpoints: Set<FakeEndpoint> | undefined } | undefined
  const lastRids = new Map<FakeEndpoint, string>()
  let ipRefusal:
    | { errcode: FakeIpErrcode; ip: string | undefined; endpoints: Set<FakeEndpoint> | undefined }
    | undefined
  // Ends pending latency sleeps on close, so no timer outlives the server.
  const closing = new AbortController()
  if (typeof options.latencyMs === 'number') latency.set('*', options.latencyMs)
  else for (const [endpoint, ms] of Object.entries(options.latencyMs ?? {})) latency.set(endpoint as FakeEndpoint, ms)

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const endpoint = ROUTES.get(url.pathname)
    const raw = await readBody(req)
    if (endpoint === undefined) return send(res, 404, { errcode: 404, errmsg: 'no such endpoint' })
    const begun = Date.now()
    const rid = FakeRequestLog.newRid()
    const clientIp = options.clientIp ?? (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')
    const answer = (status: number, reply: FakeReply) => {
      lastRids.set(endpoint, rid)
      state.requests.add(rid, {
        invoke_time: Math.floor(begun / 1000),
        cost_in_ms: Date.now() - begun,
        request_url: url.search.slice(1),
        request_body: raw,
        response_body: JSON.stringify(reply),
        client_ip: clientIp,
      })
      send(res, status, reply)
    }
    const count = (counters.get(endpoint) ?? 0) + 1
    counters.set(endpoint, count)
    const delay = latency.get(endpoint) ?? latency.get('*') ?? 0
    if (delay > 0) await sleep(delay, undefined, { signal: closing.signal }).catch(() => undefined)
    if (closing.signal.aborted) return
    const down = outage !== undefined && (outage.endpoints === undefined || outage.endpoints.has(endpoint))
    const injected = injections.get(endpoint)?.shift() ?? (down ? outage!.fault : undefined)
    if (injected && 'bodyBytes' in injected) {
      hugeSent += await streamHugeJson(res, 'access_token', injected.bodyBytes, injected.declareLength === true)
      return
    }
    if (injected && 'status' in injected)
      return answer(injected.status, { errcode: -1, errmsg: 'injected HTTP failure' })
    if (injected) return answer(200, { errcode: injected.errcode, errmsg: injected.errmsg ?? 'injected error' })
    if (ipRefusal !== undefined && (ipRefusal.endpoints === undefined || ipRefusal.endpoints.has(endpoint))) {
      const { errcode, ip } = ipRefusal
      return answer(200, { errcode, errmsg: fakeIpErrmsg(errcode, ip ?? clientIp, rid) })
    }
    // The token endpoints' own quota is spent before the call is looked at, as the platform counts it.
    if (state.quota.spend(url.pathname))
      return answer(200, { errcode: 45009, errmsg: `reach max api daily quota limit rid: ${rid}` })
    let request: FakeRequest
    try {
      const body: unknown = raw ? JSON.parse(raw) : {}
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError('body is not an object')
      request = { query: url.searchParams, body: body as Record<string, unknown> }
    } catch {
      return answer(200, { errcode: 47001, errmsg: `data format error rid: ${rid}` })
    }
    let reply: FakeReply
    try {
      reply = HANDLERS[endpoint](state, request)
    } catch (error) {
      if (!(error instanceof FakeFault)) throw error
      reply = { errcode: error.errcode, errmsg: `${error.errmsg} rid: ${rid}` }
    }
    answer(200, reply)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      send(res, 500, { errcode: -1, errmsg: `fake failure: ${String(error)}` }),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    calls: (endpoint) => counters.get(endpoint) ?? 0,
    resetCalls: () => counters.clear(),
    addApp,
    issueLoginCode: (appid, user) => state.issueLoginCode(state.app(appid), user),
    issueOAuthCode: (appid, user) => state.issueOAuthCode(state.app(appid), user),
    sessionKeyOf: (appid, openid) => state.apps.get(appid)?.users.get(openid)?.sessionKey,
    rotateEncryptKey: (appid, openid) => {
      const app = state.app(appid)
      return state.rotateEncryptKey(state.user(app, openid))
    },
    isTokenValid: (token) => isAccepted(() => state.checkToken(token)),
    isUserTokenValid: (token) => state.isUserTokenLive(token),
    inject: (endpoint, fault, times = 1) => {
      const queue = injections.get(endpoint) ?? []
      for (let i = 0; i < times; i++) queue.push(fault)
      injections.set(endpoint, queue)
    },
    startOutage: (fault, endpoints) => {
      outage = { fault, endpoints: endpoints === undefined ? undefined : new Set(endpoints) }
    },
    endOutage: () => {
      outage = undefined
    },
    revokeToken: (token) => state.revoke(token),
    tokensIssued: () => state.tokensIssued,
    hugeBytesSent: () => hugeSent,
    setLatency: (ms, endpoint) => void latency.set(endpoint ?? '*', ms),
    refuseIp: (errcode, refusal = {}) => {
      ipRefusal = {
        errcode,
        ip: refusal.ip,
        endpoints: refusal.endpoints === undefined ? undefined : new Set(refusal.endpoints),
      }
    },
    allowIp: () => {
      ipRefusal = undefined
    },
    lastRid: (endpoint) => lastRids.get(endpoint),
    quotaClears: (appid) => state.quota.clearsThisMonth(appid),
    addComponent,
    async pushTicket(componentAppid, url, sendOptions) {
      const component = componentOf(componentAppid)
      const ticket = component.newTicket(state.rules.now())
      const xml = event(component, 'component_verify_ticket', { ComponentVerifyTicket: ticket })
      return { ticket, sent: await push(component, url, xml, sendOptions) }
    },
    async authorize(componentAppid, authorizerAppid, authorizeOptions = {}) {
      const component = componentOf(componentAppid)
      const again = component.authorizations.has(authorizerAppid)
      const authorizationCode = component.authorize(
        state,
        authorizerAppid,
        authorizeOptions.funcIds ?? [1, 15],
        state.components.rules,
      )
      const xml = event(component, again ? 'updateauthorized' : 'authorized', {
        AuthorizerAppid: authorizerAppid,
        AuthorizationCode: authorizationCode,
        AuthorizationCodeExpiredTime: Math.floor(state.rules.now() / 1000) + state.components.rules.codeLifetimeSeconds,
        PreAuthCode: '',
      })
      return { authorizationCode, sent: await push(component, authorizeOptions.url, xml) }
    },
    async unauthorize(componentAppid, authorizerAppid, url) {
      const component = componentOf(componentAppid)
      component.unauthorize(state, authorizerAppid)
      const xml = event(component, 'unauthorized', { AuthorizerAppid: authorizerAppid })
      return { sent: await push(component, url, xml) }
    },
    authorizerRefreshToken: (componentAppid, authorizerAppid) =>
      componentOf(componentAppid).authorizations.get(authorizerAppid)?.refreshToken,
    pushTicketRequests: (componentAppid) => componentOf(componentAppid).pushRequests,
    invalidateAuthorizerRefreshToken(componentAppid, authorizerAppid) {
      const authorization = componentOf(componentAppid).authorizations.get(authorizerAppid)
      if (authorization === undefined) return false
      authorization.refreshTokenInvalid = true
      return true
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function isAccepted(check: () => unknown): boolean {
  try {
    check()
    return true
  } catch {
    return false
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let raw = ''
  for await (const chunk of req) raw += String(chunk)
  return raw
}

function send(res: ServerResponse, status: number, reply: FakeReply): void {
  if (res.destroyed) return
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(reply))
}
