import { randomBytes } from 'node:crypto'

/** The endpoints the fake WeCom serves, by the name `calls()` counts them under. */
export const FAKE_WECOM_ENDPOINTS = [
  'gettoken',
  'get_jsapi_ticket',
  'ticket/get',
  'get_suite_token',
  'get_pre_auth_code',
  'get_permanent_code',
  'v2/get_permanent_code',
  'get_auth_info',
  'set_session_info',
  'get_corp_token',
  'get_provider_token',
  'business',
] as const
export type FakeWecomEndpoint = (typeof FAKE_WECOM_ENDPOINTS)[number]

/** A platform answer: HTTP 200 with this JSON. */
export type FakeWecomReply = Record<string, unknown>

/** WeCom's hourly limits of the ticket endpoints, per endpoint: per corp and per app. */
export interface FakeTicketLimits {
  perCorpPerHour: number
  perAppPerHour: number
}

/** An issued token: whose it is and until when (ms). */
interface Issued {
  corpId: string
  agentId: string
  expiresAt: number
}

/** `ww` + 16 hex: a value no test reuses by accident. */
export function fresh(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`
}

/**
 * The fake's bookkeeping: tokens by value, ticket calls in the last hour (per corp, per app, per endpoint), what
 * each endpoint was asked. Separate from the HTTP layer (fake-wecom.ts) so the limits are readable on their own.
 */
export class FakeWecomState {
  readonly calls = new Map<FakeWecomEndpoint, number>()
  readonly #tokens = new Map<string, Issued>()
  /** `endpoint corpId` and `endpoint corpId:agentId` → the times (ms) of the ticket calls that counted. */
  readonly #ticketTimes = new Map<string, number[]>()
  readonly #now: () => number
  readonly #limits: FakeTicketLimits
  /** Ticket calls refused with 45009. */
  refusedTicketCalls = 0

  constructor(now: () => number, limits: FakeTicketLimits) {
    this.#now = now
    this.#limits = limits
  }

  count(endpoint: FakeWecomEndpoint): void {
    this.calls.set(endpoint, (this.calls.get(endpoint) ?? 0) + 1)
  }

  issueToken(prefix: string, corpId: string, agentId: string, lifeSeconds: number): string {
    const token = fresh(prefix)
    this.#tokens.set(token, { corpId, agentId, expiresAt: this.#now() + lifeSeconds * 1000 })
    return token
  }

  /** The token's owner, or the errcode WeCom answers: 41001 missing, 40014 unknown, 42001 expired. */
  checkToken(token: string | null): Issued | { errcode: number; errmsg: string } {
    if (token === null || token === '') return { errcode: 41001, errmsg: 'access_token missing' }
    const issued = this.#tokens.get(token)
    if (issued === undefined) return { errcode: 40014, errmsg: 'invalid access_token' }
    if (issued.expiresAt <= this.#now()) return { errcode: 42001, errmsg: 'access_token expired' }
    return issued
  }

  /** Ends a token early, as WeCom may. */
  revoke(token: string): boolean {
    return this.#tokens.delete(token)
  }

  /** Counts one ticket call of `endpoint` for the app, or `false` when the corp or the app is over its hourly limit. */
  takeTicketCall(endpoint: FakeWecomEndpoint, corpId: string, agentId: string): boolean {
    const now = this.#now()
    const corp = this.#window(`${endpoint} ${corpId}`, now)
    const app = this.#window(`${endpoint} ${corpId}:${agentId}`, now)
    if (corp.length >= this.#limits.perCorpPerHour || app.length >= this.#limits.perAppPerHour) {
      this.refusedTicketCalls++
      return false
    }
    corp.push(now)
    app.push(now)
    return true
  }

  /** Ticket calls of `endpoint` counted in the last hour, for the corp or, with `agentId`, the app. */
  ticketCallsInLastHour(endpoint: 'get_jsapi_ticket' | 'ticket/get', corpId: string, agentId?: string): number {
    const name = agentId === undefined ? `${endpoint} ${corpId}` : `${endpoint} ${corpId}:${agentId}`
    return this.#window(name, this.#now()).length
  }

  #window(name: string, now: number): number[] {
    const times = (this.#ticketTimes.get(name) ?? []).filter((at) => at > now - 3_600_000)
    this.#ticketTimes.set(name, times)
    return times
  }
}
