import {
  BridgeError,
  type AppKey,
  type CredentialBridge,
  type CredentialRecord,
  type TicketType,
} from '@open-bridge/core'
import { invalidArgument } from '../errors.js'

/** The token object wechat-api / co-wechat-api keep: the token and when it stops being used (ms since the epoch). */
export interface SdkAccessToken {
  accessToken: string
  expireTime: number
}

/** The ticket object of their JS-SDK helpers (`getJsConfig`, `getCardExt`). */
export interface SdkTicket {
  ticket: string
  expireTime: number
}

/**
 * A record's expiry as the SDKs compare it (`Date.now() < expireTime`): the record's own, or far in the future
 * for a credential stored without one. No margin is taken off: the bridge already stores WeChat's tokens short of
 * their life and refreshes them ahead, so the SDK may use one until the bridge stops serving it.
 */
export function expireTimeOf(record: CredentialRecord): number {
  return record.expiresAt ?? Number.MAX_SAFE_INTEGER
}

/**
 * What the SDK glue reads and writes through the bridge for one app: its access_token and tickets, each with its
 * real expiry (`getRecord`), and compare-and-refresh for a token the platform rejected.
 */
export class SdkTokens {
  readonly #bridge: CredentialBridge
  readonly #key: AppKey
  /** The token most recently handed to the SDK: what a rejection the SDK reports without naming it refers to. */
  #lastServed: string | undefined

  constructor(bridge: CredentialBridge, key: AppKey) {
    if (typeof (bridge as Partial<CredentialBridge> | null)?.getRecord !== 'function')
      throw invalidArgument('bridge', 'must be a bridge made by createBridge()')
    bridge.resolve('access_token', key) // the key, checked now (the same errors as getAccessToken)
    this.#bridge = bridge
    this.#key = key
  }

  /** The stored token (fetched once for the deployment on a miss), or `null` when there is none and no source. */
  async token(): Promise<SdkAccessToken | null> {
    const record = await this.#bridge.getRecord('access_token', this.#key)
    if (record === null) return null
    this.#lastServed = record.value.access_token
    return { accessToken: record.value.access_token, expireTime: expireTimeOf(record) }
  }

  /** `token()`, or `E_NO_CREDENTIAL` when there is none: what the SDK's own fetch is replaced with. */
  async requireToken(): Promise<SdkAccessToken> {
    return (await this.token()) ?? noCredential('access_token')
  }

  /**
   * `rejected` (default: the token last handed out) was refused by the platform (40001 / 40014 / 42001):
   * compare-and-refresh, so however many SDK instances in however many processes report it, the platform is asked
   * once, and a token someone already replaced is simply read.
   */
  async replaceRejected(rejected = this.#lastServed): Promise<SdkAccessToken> {
    const value = await this.#bridge.refreshAccessToken(this.#key, rejected === undefined ? {} : { ifValue: rejected })
    if (value === null) return noCredential('access_token')
    // The refreshed record's expiry, read back (a hit in the nearest tier).
    return (await this.token()) ?? { accessToken: value.access_token, expireTime: Date.now() + 60_000 }
  }

  /** A token the SDK got some other way (it should not): kept in the bridge with the life it has left. */
  async save(token: unknown): Promise<void> {
    const t = token as Partial<SdkAccessToken> | null | undefined
    if (typeof t?.accessToken !== 'string' || t.accessToken === '' || typeof t.expireTime !== 'number') return
    const seconds = Math.floor((t.expireTime - Date.now()) / 1000)
    if (seconds > 0) await this.#bridge.setAccessToken(this.#key, { access_token: t.accessToken }, seconds)
  }

  /** The JS-SDK ticket of `type` (fetched once for the deployment on a miss). */
  async ticket(type: unknown): Promise<SdkTicket | null> {
    const record = await this.#bridge.getRecord('ticket', { ...this.#key, ticketType: ticketType(type) })
    return record === null ? null : { ticket: record.value.ticket, expireTime: expireTimeOf(record) }
  }

  async requireTicket(type: unknown): Promise<SdkTicket> {
    return (await this.ticket(type)) ?? noCredential('ticket')
  }

  /** A ticket the SDK got some other way: kept in the bridge with the life it has left. */
  async saveTicket(type: unknown, ticket: unknown): Promise<void> {
    const t = ticket as Partial<SdkTicket> | null | undefined
    if (typeof t?.ticket !== 'string' || t.ticket === '' || typeof t.expireTime !== 'number') return
    const seconds = Math.floor((t.expireTime - Date.now()) / 1000)
    if (seconds > 0)
      await this.#bridge.setTicket({ ...this.#key, ticketType: ticketType(type) }, { ticket: t.ticket }, seconds)
  }
}

/** The SDKs name a ticket `jsapi` or `wx_card`; a missing type is `jsapi`, as in their defaults. */
function ticketType(type: unknown): TicketType {
  if (type === undefined || type === null || type === 'jsapi') return 'jsapi'
  if (type === 'wx_card') return 'wx_card'
  throw invalidArgument('type', "must be 'jsapi' or 'wx_card'")
}

function noCredential(kind: 'access_token' | 'ticket'): never {
  throw new BridgeError(
    'E_NO_CREDENTIAL',
    `the bridge holds no ${kind} for this app and has no source to fetch one (give createBridge a source, e.g. wechatSource())`,
  )
}
