import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { invalidArgument } from '../errors.js'
import {
  FakeWecomState,
  fresh,
  type FakeTicketLimits,
  type FakeWecomEndpoint,
  type FakeWecomReply,
} from './fake-wecom-state.js'
import { pushSender, type PushSender, type SentPush, type UrlCheck } from './push-sender.js'

/** A suite the fake knows: its secret, and the Token / EncodingAESKey of its command callback URL. */
export interface FakeWecomSuiteSpec {
  suiteId: string
  suiteSecret: string
  token: string
  encodingAESKey: string
  /** Where its pushes go (the suite's command callback URL); also settable with `setCallbackUrl`. */
  callbackUrl?: string
}

export interface FakeWecomOptions {
  /** Corps and their self-built apps. Any other corp id gets 40013; a wrong secret 40001. */
  corps?: { corpId: string; agents: { agentId: string | number; secret: string }[] }[]
  suites?: FakeWecomSuiteSpec[]
  provider?: { corpId: string; providerSecret: string }
  /** Life of every access token (corp, suite, provider), seconds. Default 7200. */
  tokenLifetimeSeconds?: number
  /** Life of a JS-SDK ticket, seconds. Default 7200. */
  ticketLifetimeSeconds?: number
  /** How long a pushed suite_ticket is accepted, seconds. Default 1800 (30 min, as WeCom). */
  suiteTicketLifetimeSeconds?: number
  /** The ticket endpoints' hourly limits. Default WeCom's: 400 per corp, 100 per app (each endpoint on its own). */
  ticketLimits?: Partial<FakeTicketLimits>
  /** Delay before each answer, ms: one for all endpoints or per endpoint. Default 0. */
  latencyMs?: number | Partial<Record<FakeWecomEndpoint, number>>
  /** The platform's clock, ms. Default `Date.now`. */
  now?: () => number
}

/**
 * A real HTTP server on loopback that behaves like WeCom's credential APIs (`qyapi.weixin.qq.com`): gettoken, the
 * corp and agent JS-SDK tickets with their hourly limits (45009 past them), the suite flow (get_suite_token with
 * the pushed ticket, get_pre_auth_code, set_session_info, get_permanent_code v1 and v2, get_auth_info,
 * get_corp_token), get_provider_token, and the suite's
 * pushes to its command callback URL, encrypted as WeCom sends them. Point a source at it with
 * `wecomSource({ baseUrl: fake.url })`.
 */
export interface FakeWecom {
  readonly url: string
  /** How many times `endpoint` was called (any answer). */
  calls(endpoint: FakeWecomEndpoint): number
  /** Ticket calls of the last hour that counted against the limit: the corp's or, with `agentId`, the app's. */
  ticketCallsInLastHour(endpoint: 'get_jsapi_ticket' | 'ticket/get', corpId: string, agentId?: string | number): number
  /** Ticket calls refused with 45009 (over an hourly limit). */
  refusedTicketCalls(): number
  /** Ends a token early, as WeCom may; resolves whether it was live. */
  revokeToken(token: string): boolean
  /** Answers the next `times` calls of `endpoint` with this reply (e.g. `{ errcode: 60020, errmsg }`). */
  inject(endpoint: FakeWecomEndpoint, reply: FakeWecomReply, times?: number): void
  /** Where the suite's pushes go. */
  setCallbackUrl(suiteId: string, url: string): void
  /** Pushes a new suite_ticket (`createTime`: the push's CreateTime, Unix seconds; default now). */
  pushSuiteTicket(suiteId: string, options?: { createTime?: number }): Promise<{ ticket: string; push: SentPush }>
  /** A corp authorises the suite: an auth code is made and `create_auth` pushed. */
  authorize(suiteId: string, corpId: string, options?: { agentIds?: (string | number)[] }): Promise<SentPush>
  /**
   * Pushes `change_auth` for the corp; with `agentIds`, the corp first changes which agents the suite's apps have
   * (what `get_auth_info` answers from then on).
   */
  changeAuth(suiteId: string, corpId: string, options?: { agentIds?: (string | number)[] }): Promise<SentPush>
  /**
   * The administrator installs the suite from an install page URL (`wecomInstallUrl`): its pre-auth code must be
   * one the fake made (1200 s, single use). Resolves the redirect WeCom would send the browser to (`auth_code`,
   * `expires_in=600`, `state`); no `create_auth` is pushed for it (as WeCom).
   */
  installFromUrl(installUrl: string, corpId: string, options?: { agentIds?: (string | number)[] }): string
  /** The `session_info.auth_type` `set_session_info` set for a pre-auth code (`undefined` if none). */
  sessionAuthTypeOf(preAuthCode: string): number | undefined
  /** The corp cancels: its permanent code stops working; `cancel_auth` is pushed. */
  cancelAuth(suiteId: string, corpId: string): Promise<SentPush>
  /** A new auth code for the corp is pushed (`reset_permanent_code`); exchanging it ends the old permanent code. */
  resetPermanentCode(suiteId: string, corpId: string): Promise<SentPush>
  /** The callback URL check WeCom makes when it is saved: a `GET` with an encrypted `echostr`. */
  verifyCallbackUrl(suiteId: string): Promise<UrlCheck>
  /** The corp's current permanent code for the suite (for tests that look for it where it must not be). */
  permanentCodeOf(suiteId: string, corpId: string): string | undefined
  close(): Promise<void>
}

interface Suite {
  spec: FakeWecomSuiteSpec
  sender: PushSender
  callbackUrl: string | undefined
  /** Pushed tickets and when they were made (ms). */
  tickets: Map<string, number>
}

interface Authorization {
  suiteId: string
  corpId: string
  agentIds: string[]
}

const ID = /^[A-Za-z0-9_.-]{1,128}$/

export async function startFakeWecom(options: FakeWecomOptions = {}): Promise<FakeWecom> {
  const now = options.now ?? Date.now
  const tokenLife = options.tokenLifetimeSeconds ?? 7200
  const ticketLife = options.ticketLifetimeSeconds ?? 7200
  const suiteTicketLife = options.suiteTicketLifetimeSeconds ?? 1800
  const state = new FakeWecomState(now, {
    perCorpPerHour: options.ticketLimits?.perCorpPerHour ?? 400,
    perAppPerHour: options.ticketLimits?.perAppPerHour ?? 100,
  })
  const secrets = new Map<string, string>()
  for (const corp of options.corps ?? []) {
    for (const agent of corp.agents) secrets.set(`${corp.corpId}:${agent.agentId}`, agent.secret)
  }
  const suites = new Map<string, Suite>()
  for (const spec of options.suites ?? []) {
    if (!ID.test(spec.suiteId)) throw invalidArgument('suites.suiteId', 'must be 1–128 letters, digits, _ . or -')
    suites.set(spec.suiteId, {
      spec,
      sender: pushSender({
        token: spec.token,
        encodingAESKey: spec.encodingAESKey,
        receiveId: spec.suiteId,
        format: 'wecom',
      }),
      callbackUrl: spec.callbackUrl,
      tickets: new Map(),
    })
  }
  /** auth code → the authorisation it grants (single use). */
  const authCodes = new Map<string, Authorization>()
  /** `suiteId:corpId` → the live permanent code and the agents. */
  const permanentCodes = new Map<string, { code: string; agentIds: string[] }>()
  /** pre-auth code → its suite, expiry (ms) and the session_info's auth_type. */
  const preAuthCodes = new Map<string, { suiteId: string; expiresAt: number; authType: number | undefined }>()
  const injected = new Map<FakeWecomEndpoint, { reply: FakeWecomReply; times: number }>()

  const fail = (errcode: number, errmsg: string): FakeWecomReply => ({ errcode, errmsg })
  const suiteOf = (id: string): Suite => {
    const suite = suites.get(id)
    if (suite === undefined) throw invalidArgument('suiteId', 'names no suite of the fake')
    return suite
  }
  const suiteByToken = (token: string | null): Suite | { reply: FakeWecomReply } => {
    const checked = state.checkToken(token)
    if ('errcode' in checked)
      return { reply: fail(checked.errcode === 42001 ? 42009 : 40082, 'invalid suite_access_token') }
    const suite = suites.get(checked.corpId)
    return suite !== undefined && checked.agentId === '<suite>'
      ? suite
      : { reply: fail(40082, 'invalid suite_access_token') }
  }

  const handlers: Record<FakeWecomEndpoint, (query: URLSearchParams, body: Record<string, unknown>) => FakeWecomReply> =
    {
      gettoken(query) {
        const corpId = query.get('corpid') ?? ''
        const secret = query.get('corpsecret') ?? ''
        const agent = [...secrets.entries()].find(([key, value]) => key.startsWith(`${corpId}:`) && value === secret)
        if (![...secrets.keys()].some((key) => key.startsWith(`${corpId}:`))) return fail(40013, 'invalid corpid')
        if (agent === undefined) return fail(40001, 'invalid secret')
        const agentId = agent[0].slice(corpId.length + 1)
        return {
          errcode: 0,
          errmsg: 'ok',
          access_token: state.issueToken('AT_', corpId, agentId, tokenLife),
          expires_in: tokenLife,
        }
      },
      get_jsapi_ticket: (query) => ticket('get_jsapi_ticket', query),
      'ticket/get': (query) =>
        query.get('type') === 'agent_config' ? ticket('ticket/get', query) : fail(40058, 'invalid type'),
      get_suite_token(_query, body) {
        const suite = suites.get(String(body.suite_id ?? ''))
        if (suite === undefined) return fail(40013, 'invalid suite_id')
        if (body.suite_secret !== suite.spec.suiteSecret) return fail(40001, 'invalid suite_secret')
        const madeAt = suite.tickets.get(String(body.suite_ticket ?? ''))
        if (madeAt === undefined || madeAt <= now() - suiteTicketLife * 1000) return fail(40085, 'invalid suite_ticket')
        const token = state.issueToken('SUITE_', suite.spec.suiteId, '<suite>', tokenLife)
        return { errcode: 0, errmsg: 'ok', suite_access_token: token, expires_in: tokenLife }
      },
      get_pre_auth_code(query) {
        const suite = suiteByToken(query.get('suite_access_token'))
        if ('reply' in suite) return suite.reply
        const code = fresh('PRE_')
        preAuthCodes.set(code, { suiteId: suite.spec.suiteId, expiresAt: now() + 1_200_000, authType: undefined })
        return { errcode: 0, errmsg: 'ok', pre_auth_code: code, expires_in: 1200 }
      },
      set_session_info(query, body) {
        const suite = suiteByToken(query.get('suite_access_token'))
        if ('reply' in suite) return suite.reply
        const pre = preAuthCodes.get(String(body.pre_auth_code ?? ''))
        if (pre === undefined || pre.suiteId !== suite.spec.suiteId || pre.expiresAt <= now())
          return fail(40075, 'invalid pre_auth_code')
        const info = body.session_info as { auth_type?: unknown } | undefined
        pre.authType = typeof info?.auth_type === 'number' ? info.auth_type : 0
        return { errcode: 0, errmsg: 'ok' }
      },
      get_permanent_code: (query, body) => exchange(query, body, 'v1'),
      'v2/get_permanent_code': (query, body) => exchange(query, body, 'v2'),
      get_auth_info(query, body) {
        const suite = suiteByToken(query.get('suite_access_token'))
        if ('reply' in suite) return suite.reply
        const corpId = String(body.auth_corpid ?? '')
        const held = permanentCodes.get(`${suite.spec.suiteId}:${corpId}`)
        if (held === undefined || held.code !== body.permanent_code) return fail(40084, 'invalid permanent_code')
        return {
          errcode: 0,
          errmsg: 'ok',
          auth_corp_info: { corpid: corpId, corp_name: `corp ${corpId}` },
          auth_info: { agent: held.agentIds.map((agentid) => ({ agentid: Number(agentid), name: `app ${agentid}` })) },
        }
      },
      get_corp_token(query, body) {
        const suite = suiteByToken(query.get('suite_access_token'))
        if ('reply' in suite) return suite.reply
        const corpId = String(body.auth_corpid ?? '')
        const held = permanentCodes.get(`${suite.spec.suiteId}:${corpId}`)
        if (held === undefined || held.code !== body.permanent_code) return fail(40084, 'invalid permanent_code')
        return {
          errcode: 0,
          errmsg: 'ok',
          access_token: state.issueToken('CORP_', corpId, '<suite>', tokenLife),
          expires_in: tokenLife,
        }
      },
      get_provider_token(_query, body) {
        const provider = options.provider
        if (provider === undefined || body.corpid !== provider.corpId) return fail(40013, 'invalid corpid')
        if (body.provider_secret !== provider.providerSecret) return fail(40001, 'invalid provider_secret')
        const token = state.issueToken('PROVIDER_', provider.corpId, '<provider>', tokenLife)
        return { errcode: 0, errmsg: 'ok', provider_access_token: token, expires_in: tokenLife }
      },
      business(query) {
        const checked = state.checkToken(query.get('access_token'))
        return 'errcode' in checked ? fail(checked.errcode, checked.errmsg) : { errcode: 0, errmsg: 'ok' }
      },
    }

  /**
   * get_permanent_code: v1 (developer.work.weixin.qq.com/document/path/90603) answers the corp token and the agents;
   * v2 (…/path/100776) the permanent code and auth_corp_info only.
   */
  function exchange(query: URLSearchParams, body: Record<string, unknown>, api: 'v1' | 'v2'): FakeWecomReply {
    const suite = suiteByToken(query.get('suite_access_token'))
    if ('reply' in suite) return suite.reply
    const grant = authCodes.get(String(body.auth_code ?? ''))
    if (grant === undefined || grant.suiteId !== suite.spec.suiteId) return fail(40078, 'invalid auth_code')
    authCodes.delete(String(body.auth_code))
    const code = fresh('PERM_')
    permanentCodes.set(`${grant.suiteId}:${grant.corpId}`, { code, agentIds: grant.agentIds })
    const corp = { corpid: grant.corpId, corp_name: `corp ${grant.corpId}` }
    if (api === 'v2') return { errcode: 0, errmsg: 'ok', permanent_code: code, auth_corp_info: corp }
    return {
      errcode: 0,
      errmsg: 'ok',
      access_token: state.issueToken('CORP_', grant.corpId, '<suite>', tokenLife),
      expires_in: tokenLife,
      permanent_code: code,
      auth_corp_info: corp,
      auth_info: { agent: grant.agentIds.map((agentid) => ({ agentid: Number(agentid), name: `app ${agentid}` })) },
    }
  }

  function ticket(endpoint: 'get_jsapi_ticket' | 'ticket/get', query: URLSearchParams): FakeWecomReply {
    const checked = state.checkToken(query.get('access_token'))
    if ('errcode' in checked) return fail(checked.errcode, checked.errmsg)
    if (!state.takeTicketCall(endpoint, checked.corpId, checked.agentId)) return fail(45009, 'api freq out of limit')
    return {
      errcode: 0,
      errmsg: 'ok',
      ticket: fresh(endpoint === 'ticket/get' ? 'AGENT_TICKET_' : 'CORP_TICKET_'),
      expires_in: ticketLife,
    }
  }

  const ROUTES: Record<string, FakeWecomEndpoint> = {
    '/cgi-bin/gettoken': 'gettoken',
    '/cgi-bin/get_jsapi_ticket': 'get_jsapi_ticket',
    '/cgi-bin/ticket/get': 'ticket/get',
    '/cgi-bin/service/get_suite_token': 'get_suite_token',
    '/cgi-bin/service/get_pre_auth_code': 'get_pre_auth_code',
    '/cgi-bin/service/get_permanent_code': 'get_permanent_code',
    '/cgi-bin/service/v2/get_permanent_code': 'v2/get_permanent_code',
    '/cgi-bin/service/get_auth_info': 'get_auth_info',
    '/cgi-bin/service/set_session_info': 'set_session_info',
    '/cgi-bin/service/get_corp_token': 'get_corp_token',
    '/cgi-bin/service/get_provider_token': 'get_provider_token',
    '/cgi-bin/fake/business': 'business',
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const endpoint = ROUTES[url.pathname]
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (endpoint === undefined) {
      res.writeHead(404).end()
      return
    }
    state.count(endpoint)
    const latency = typeof options.latencyMs === 'number' ? options.latencyMs : options.latencyMs?.[endpoint]
    if (latency !== undefined && latency > 0) await sleep(latency)
    let body: Record<string, unknown> = {}
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
      } catch {
        body = {}
      }
    }
    const injection = injected.get(endpoint)
    let reply: FakeWecomReply
    if (injection !== undefined && injection.times > 0) {
      injection.times--
      reply = injection.reply
    } else {
      reply = handlers[endpoint](url.searchParams, body)
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const push = (suiteId: string, xml: string): Promise<SentPush> => {
    const suite = suiteOf(suiteId)
    if (suite.callbackUrl === undefined) throw invalidArgument('callbackUrl', `is not set for suite ${suiteId}`)
    return suite.sender.send(suite.callbackUrl, xml)
  }
  const seconds = () => Math.floor(now() / 1000)
  const cdata = (name: string, value: string) => `<${name}><![CDATA[${value}]]></${name}>`
  const grant = (suiteId: string, corpId: string, agentIds: string[]): string => {
    const code = fresh('AUTH_')
    authCodes.set(code, { suiteId, corpId, agentIds })
    return code
  }

  return {
    url: `http://127.0.0.1:${port}`,
    calls: (endpoint) => state.calls.get(endpoint) ?? 0,
    ticketCallsInLastHour: (endpoint, corpId, agentId) =>
      state.ticketCallsInLastHour(endpoint, corpId, agentId === undefined ? undefined : String(agentId)),
    refusedTicketCalls: () => state.refusedTicketCalls,
    revokeToken: (token) => state.revoke(token),
    inject(endpoint, reply, times = 1) {
      injected.set(endpoint, { reply, times })
    },
    setCallbackUrl(suiteId, url) {
      suiteOf(suiteId).callbackUrl = url
    },
    async pushSuiteTicket(suiteId, pushOptions = {}) {
      const suite = suiteOf(suiteId)
      const createTime = pushOptions.createTime ?? seconds()
      const ticket = fresh('SUITE_TICKET_')
      suite.tickets.set(ticket, createTime * 1000)
      const xml = `<xml>${cdata('SuiteId', suiteId)}${cdata('InfoType', 'suite_ticket')}<TimeStamp>${createTime}</TimeStamp>${cdata('SuiteTicket', ticket)}</xml>`
      return { ticket, push: await push(suiteId, xml) }
    },
    authorize(suiteId, corpId, authOptions = {}) {
      suiteOf(suiteId)
      const agentIds = (authOptions.agentIds ?? ['1000001']).map(String)
      const code = grant(suiteId, corpId, agentIds)
      return push(
        suiteId,
        `<xml>${cdata('SuiteId', suiteId)}${cdata('AuthCode', code)}${cdata('InfoType', 'create_auth')}<TimeStamp>${seconds()}</TimeStamp></xml>`,
      )
    },
    changeAuth(suiteId, corpId, changeOptions = {}) {
      const held = permanentCodes.get(`${suiteId}:${corpId}`)
      if (held !== undefined && changeOptions.agentIds !== undefined) held.agentIds = changeOptions.agentIds.map(String)
      return push(
        suiteId,
        `<xml>${cdata('SuiteId', suiteId)}${cdata('InfoType', 'change_auth')}<TimeStamp>${seconds()}</TimeStamp>${cdata('AuthCorpId', corpId)}</xml>`,
      )
    },
    cancelAuth(suiteId, corpId) {
      permanentCodes.delete(`${suiteId}:${corpId}`)
      return push(
        suiteId,
        `<xml>${cdata('SuiteId', suiteId)}${cdata('InfoType', 'cancel_auth')}<TimeStamp>${seconds()}</TimeStamp>${cdata('AuthCorpId', corpId)}</xml>`,
      )
    },
    resetPermanentCode(suiteId, corpId) {
      const held = permanentCodes.get(`${suiteId}:${corpId}`)
      const code = grant(suiteId, corpId, held?.agentIds ?? ['1000001'])
      return push(
        suiteId,
        `<xml>${cdata('SuiteId', suiteId)}${cdata('AuthCode', code)}${cdata('InfoType', 'reset_permanent_code')}<TimeStamp>${seconds()}</TimeStamp></xml>`,
      )
    },
    verifyCallbackUrl(suiteId) {
      const suite = suiteOf(suiteId)
      if (suite.callbackUrl === undefined) throw invalidArgument('callbackUrl', `is not set for suite ${suiteId}`)
      return suite.sender.verifyUrl(suite.callbackUrl)
    },
    installFromUrl(installUrl, corpId, installOptions = {}) {
      const url = new URL(installUrl)
      const suiteId = url.searchParams.get('suite_id') ?? ''
      const preAuthCode = url.searchParams.get('pre_auth_code') ?? ''
      const redirect = url.searchParams.get('redirect_uri')
      const pre = preAuthCodes.get(preAuthCode)
      if (pre === undefined || pre.suiteId !== suiteId || pre.expiresAt <= now())
        throw invalidArgument('installUrl', 'holds no live pre-auth code of this suite')
      if (redirect === null) throw invalidArgument('installUrl', 'has no redirect_uri')
      preAuthCodes.delete(preAuthCode)
      const back = new URL(redirect)
      back.searchParams.set('auth_code', grant(suiteId, corpId, (installOptions.agentIds ?? ['1000001']).map(String)))
      back.searchParams.set('expires_in', '600')
      back.searchParams.set('state', url.searchParams.get('state') ?? '')
      return back.toString()
    },
    sessionAuthTypeOf: (preAuthCode) => preAuthCodes.get(preAuthCode)?.authType,
    permanentCodeOf: (suiteId, corpId) => permanentCodes.get(`${suiteId}:${corpId}`)?.code,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
