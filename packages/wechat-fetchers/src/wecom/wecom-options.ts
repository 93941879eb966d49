import { isPlainObject } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'
import type { PermanentCodeApi } from './wecom-client.js'
import { resolveOptions, type ResolvedOptions, type WechatSourceOptions } from '../options.js'

/** A self-built app of a corp: its agent id and its secret (each app has its own). */
export interface WecomAgentConfig {
  /** The app's AgentId (`1000002`), or a name for a secret without one (`contacts` for the address book). */
  agentId: string | number
  /** The app's Secret: only ever sent to `gettoken`; never in a key, a log or an error. */
  secret: string
}

/** A corp and its self-built apps. */
export interface WecomCorpConfig {
  /** The corp id (`ww…`). */
  corpId: string
  agents: readonly WecomAgentConfig[]
}

/** A third-party suite (应用模板) of the service provider. */
export interface WecomSuiteConfig {
  suiteId: string
  /** The suite's Secret: only ever sent to `get_suite_token`. */
  suiteSecret: string
  /**
   * Which `get_permanent_code` exchanges the suite's auth codes. `'v1'` (default,
   * `/cgi-bin/service/get_permanent_code`): answers the corp's agents and a corp token. `'v2'`
   * (`/cgi-bin/service/v2/get_permanent_code`, which WeCom recommends because it answers faster): answers neither —
   * the agents are then read with `get_auth_info`, the corp token fetched with `get_corp_token` on first read.
   */
  permanentCodeApi?: PermanentCodeApi
}

/** The service provider (服务商): its corp id and its provider secret (`get_provider_token`). */
export interface WecomProviderConfig {
  corpId: string
  providerSecret: string
}

/** `wecomSource` options: the apps, suites and provider it holds secrets for, and the transport. */
export interface WecomSourceOptions
  extends Pick<WechatSourceOptions, 'dispatcher' | 'retry' | 'timeouts' | 'expiryMarginSeconds' | 'maxReplyBytes'> {
  corps?: readonly WecomCorpConfig[]
  suites?: readonly WecomSuiteConfig[]
  provider?: WecomProviderConfig
  /** Replaces `https://qyapi.weixin.qq.com` (a fixed-IP egress proxy, or the fake WeCom in tests). */
  baseUrl?: string
}

/** The checked options: secrets in maps keyed by ids (never by the secrets), the transport resolved. */
export interface ResolvedWecomOptions {
  transport: ResolvedOptions
  /** `corpId:agentId` → secret. */
  appSecrets: ReadonlyMap<string, string>
  /** suiteId → suite secret. */
  suiteSecrets: ReadonlyMap<string, string>
  /** suiteId → the `get_permanent_code` it uses (every configured suite is in it). */
  permanentCodeApis: ReadonlyMap<string, PermanentCodeApi>
  provider: { corpId: string; secret: string } | undefined
}

export const WECOM_BASE_URL = 'https://qyapi.weixin.qq.com'
const ID = /^[A-Za-z0-9_.-]{1,128}$/
const OPTION_NAMES = new Set([
  'corps',
  'suites',
  'provider',
  'baseUrl',
  'dispatcher',
  'retry',
  'timeouts',
  'expiryMarginSeconds',
  'maxReplyBytes',
])

/** The key a corp app's secret is held under. */
export function appSecretKey(corpId: string, agentId: string): string {
  return `${corpId}:${agentId}`
}

/**
 * Checks `wecomSource` options: `E_INVALID_ARGUMENT` naming the field (`corps[0].agents[1].secret`), never quoting a
 * value (a secret pasted into the wrong field must not reach a log through the error).
 */
export function resolveWecomOptions(options: WecomSourceOptions): ResolvedWecomOptions {
  if (!isPlainObject(options)) throw invalidArgument('options', 'must be an object')
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw invalidArgument(name, 'is not an option of wecomSource')
  }
  const { corps = [], suites = [], provider, baseUrl, ...transport } = options
  const appSecrets = new Map<string, string>()
  list(corps, 'corps').forEach((corp, i) => {
    const at = `corps[${i}]`
    if (!isPlainObject(corp)) throw invalidArgument(at, 'must be an object { corpId, agents }')
    const corpId = id(corp.corpId, `${at}.corpId`)
    list(corp.agents, `${at}.agents`).forEach((agent, j) => {
      const field = `${at}.agents[${j}]`
      if (!isPlainObject(agent)) throw invalidArgument(field, 'must be an object { agentId, secret }')
      const raw = agent.agentId
      const agentId = id(typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw, `${field}.agentId`)
      const key = appSecretKey(corpId, agentId)
      if (appSecrets.has(key)) throw invalidArgument(`${field}.agentId`, 'is configured twice for this corp')
      appSecrets.set(key, secret(agent.secret, `${field}.secret`))
    })
  })
  const suiteSecrets = new Map<string, string>()
  const permanentCodeApis = new Map<string, PermanentCodeApi>()
  list(suites, 'suites').forEach((suite, i) => {
    const at = `suites[${i}]`
    if (!isPlainObject(suite)) throw invalidArgument(at, 'must be an object { suiteId, suiteSecret }')
    const suiteId = id(suite.suiteId, `${at}.suiteId`)
    if (suiteSecrets.has(suiteId)) throw invalidArgument(`${at}.suiteId`, 'is configured twice')
    suiteSecrets.set(suiteId, secret(suite.suiteSecret, `${at}.suiteSecret`))
    const api = suite.permanentCodeApi ?? 'v1'
    if (api !== 'v1' && api !== 'v2') throw invalidArgument(`${at}.permanentCodeApi`, "must be 'v1' or 'v2'")
    permanentCodeApis.set(suiteId, api)
  })
  let resolvedProvider: ResolvedWecomOptions['provider']
  if (provider !== undefined) {
    if (!isPlainObject(provider)) throw invalidArgument('provider', 'must be an object { corpId, providerSecret }')
    resolvedProvider = {
      corpId: id(provider.corpId, 'provider.corpId'),
      secret: secret(provider.providerSecret, 'provider.providerSecret'),
    }
  }
  if (baseUrl !== undefined && typeof baseUrl !== 'string') throw invalidArgument('baseUrl', 'must be an http(s) URL')
  return {
    transport: resolveOptions({ ...transport, baseUrl: baseUrl ?? WECOM_BASE_URL }),
    appSecrets,
    suiteSecrets,
    permanentCodeApis,
    provider: resolvedProvider,
  }
}

function list(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalidArgument(field, 'must be an array')
  return value
}

function id(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID.test(value))
    throw invalidArgument(field, 'must be 1–128 letters, digits, _ . or - (no :)')
  return value
}

function secret(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw invalidArgument(field, 'must be a non-empty string')
  return value
}
