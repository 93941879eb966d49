import type {
  CredentialKind,
  CredentialSource,
  FetchResult,
  KindFetchResult,
  ResolvedKey,
  ResolvedKindKey,
  SourceContext,
} from '@open-bridge/core'
import { WechatError } from '../errors.js'
import { storedLife } from '../options.js'
import { PlatformClient } from '../platform-client.js'
import { WecomClient, type PermanentCodeApi, type WecomIssued } from './wecom-client.js'
import {
  wecomAuthorization,
  wecomPermanentCode,
  wecomSuiteTicket,
  type CorpAppKey,
  type ProviderKey,
  type SuiteKey,
} from './wecom-kinds.js'
import {
  appSecretKey,
  resolveWecomOptions,
  type ResolvedWecomOptions,
  type WecomSourceOptions,
} from './wecom-options.js'
import { withCorpToken, withSuiteToken } from './with-corp-token.js'

/** What the suite helpers need of a source: its platform calls and each suite's `get_permanent_code`. */
export interface WecomSuiteRuntime {
  readonly api: WecomClient
  /** The configured `permanentCodeApi` of the suite (`'v1'` when it is not configured here). */
  permanentCodeApi(suiteId: string): PermanentCodeApi
}

/** Each source's runtime, for the suite callback and helpers; not part of the public type. */
const CLIENTS = new WeakMap<object, WecomSuiteRuntime>()

/** The suite runtime of a `wecomSource()` made by this copy of the package, or `undefined`. */
export function wecomClientOf(source: unknown): WecomSuiteRuntime | undefined {
  return typeof source === 'object' && source !== null ? CLIENTS.get(source) : undefined
}

/** The brand of a `WecomSource` from any copy of the package (ESM beside CJS). */
const BRAND = Symbol.for('open-bridge.wecom-source')

/**
 * WeCom (企业微信) as a bridge source: it fetches the registered WeCom kinds (`fetchKind`) and no built-in kind
 * (`fetch` resolves `null`: combine it with `wechatSource()` through core's `combineSources`). Secrets live in this
 * object's private fields only. Create one with `wecomSource`.
 */
export class WecomSource implements CredentialSource {
  readonly #options: ResolvedWecomOptions
  readonly #platform: PlatformClient
  readonly #api: WecomClient

  constructor(options: WecomSourceOptions = {}) {
    this.#options = resolveWecomOptions(options)
    this.#platform = new PlatformClient(this.#options.transport)
    this.#api = new WecomClient(this.#platform)
    Object.defineProperty(this, BRAND, { value: true })
    const apis = this.#options.permanentCodeApis
    CLIENTS.set(this, { api: this.#api, permanentCodeApi: (suiteId) => apis.get(suiteId) ?? 'v1' })
  }

  /** `instanceof WecomSource` holds for a source from any copy of the package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  /** The configured suites' ids (what the suite callback accepts pushes for). */
  get suiteIds(): readonly string[] {
    return [...this.#options.suiteSecrets.keys()]
  }

  /** WeCom serves no built-in kind. */
  fetch<K extends CredentialKind>(_kind: K, _key: ResolvedKey<K>, _ctx: SourceContext): Promise<FetchResult<K> | null> {
    return Promise.resolve(null)
  }

  async fetchKind(kind: string, key: ResolvedKindKey, ctx: SourceContext): Promise<KindFetchResult | null> {
    switch (kind) {
      case 'wecom_corp_token':
        return this.#corpToken(key as unknown as CorpAppKey, ctx)
      case 'wecom_jsapi_ticket':
      case 'wecom_agent_ticket':
        return this.#ticket(kind, key as unknown as CorpAppKey, ctx)
      case 'wecom_suite_token':
        return this.#suiteToken(key as unknown as SuiteKey, ctx)
      case 'wecom_provider_token':
        return this.#providerToken(key as unknown as ProviderKey, ctx)
      default:
        return null
    }
  }

  /** Closes the connection pool (not a dispatcher passed in). */
  close(): Promise<void> {
    return this.#platform.close()
  }

  #life(issued: WecomIssued): number {
    return storedLife(issued.expiresIn, this.#options.transport.expiryMarginSeconds)
  }

  async #corpToken({ corpId, agentId }: CorpAppKey, ctx: SourceContext): Promise<KindFetchResult | null> {
    const secret = this.#options.appSecrets.get(appSecretKey(corpId, agentId))
    if (secret !== undefined) {
      const token = await this.#api.getToken(corpId, secret, ctx.signal)
      return { value: { access_token: token.value }, expiresIn: this.#life(token) }
    }
    // Not self-built here: an authorised corp's app, if a configured suite holds its permanent code.
    if (this.#options.suiteSecrets.size === 0) return null
    const bridge = ctx.bridge
    const authorization = await bridge.credential(wecomAuthorization).get({ corpId, agentId })
    const suiteId = authorization?.suite_id
    if (suiteId === undefined || !this.#options.suiteSecrets.has(suiteId)) {
      throw new WechatError(
        'E_APP_NOT_CONFIGURED',
        `corp ${corpId} app ${agentId} has no secret configured and is authorised to no configured suite`,
        { appid: corpId },
      )
    }
    const code = await bridge.credential(wecomPermanentCode).get({ suiteId, corpId })
    if (code === null) return null
    const token = await withSuiteToken(bridge, { suiteId }, (suiteToken) =>
      this.#api.corpToken(suiteToken, corpId, code.permanent_code, ctx.signal),
    )
    return { value: { access_token: token.value }, expiresIn: this.#life(token) }
  }

  async #ticket(kind: string, key: CorpAppKey, ctx: SourceContext): Promise<KindFetchResult | null> {
    const corpAppKey = { corpId: key.corpId, agentId: key.agentId }
    const ticket = await withCorpToken(ctx.bridge, corpAppKey, (token) =>
      kind === 'wecom_jsapi_ticket'
        ? this.#api.jsapiTicket(key.corpId, token, ctx.signal)
        : this.#api.agentTicket(key.corpId, token, ctx.signal),
    )
    return { value: { ticket: ticket.value }, expiresIn: this.#life(ticket) }
  }

  async #suiteToken({ suiteId }: SuiteKey, ctx: SourceContext): Promise<KindFetchResult | null> {
    const secret = this.#options.suiteSecrets.get(suiteId)
    if (secret === undefined) return null
    // The newest pushed ticket (one older than 30 minutes has expired: E_PUSHED_MISSING, never sent).
    const ticket = await ctx.bridge.credential(wecomSuiteTicket).get({ suiteId })
    if (ticket === null) return null
    let token: WecomIssued
    try {
      token = await this.#api.suiteToken(suiteId, secret, ticket.suite_ticket, ctx.signal)
    } catch (error) {
      // 40085 "invalid suite_ticket" (errcodes in /work/shared/wechat-third-party.md): WeCom refused the ticket it
      // pushed. No other ticket can be asked for (pushed only, every 10 minutes): the next push replaces it.
      if (
        (error as { errcode?: unknown }).errcode === 40085 &&
        (error as { code?: unknown }).code === 'E_PLATFORM_API'
      ) {
        throw new WechatError(
          'E_SUITE_TICKET_REFUSED',
          `WeCom refused suite ${suiteId}'s newest pushed suite_ticket (40085): no suite_access_token until the next suite_ticket push (every 10 minutes) replaces it; if this lasts, check the suite's command callback URL`,
          { appid: suiteId, cause: error },
        )
      }
      throw error
    }
    return { value: { suite_access_token: token.value }, expiresIn: this.#life(token) }
  }

  async #providerToken({ providerCorpId }: ProviderKey, ctx: SourceContext): Promise<KindFetchResult | null> {
    const provider = this.#options.provider
    if (provider === undefined || provider.corpId !== providerCorpId) return null
    const token = await this.#api.providerToken(provider.corpId, provider.secret, ctx.signal)
    return { value: { provider_access_token: token.value }, expiresIn: this.#life(token) }
  }
}

/**
 * A source for WeCom's kinds: self-built apps' tokens (`gettoken` with each app's secret), the corp and agent JS-SDK
 * tickets, suite tokens from pushed suite tickets, authorised corps' tokens (`get_corp_token` with the stored
 * permanent code) and the provider token.
 *
 * ```ts
 * const bridge = createBridge({
 *   stores: [memoryStore(), redisStore({ url })],
 *   source: combineSources(wechatSource(), wecomSource({ corps: [{ corpId, agents: [{ agentId: 1000002, secret }] }] })),
 * })
 * ```
 */
export function wecomSource(options: WecomSourceOptions = {}): WecomSource {
  return new WecomSource(options)
}
