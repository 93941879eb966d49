import { keyField, keyLayout, registerKind } from '@open-bridge/core'

/** An app of a corp: the corp id (`ww…` / `wx…`) and the app's agent id (`1000002`, or a name such as `contacts`). */
export interface CorpAppKey {
  corpId: string
  agentId: string
}

/** A third-party suite (应用模板 / 第三方应用), by its suite id. */
export interface SuiteKey {
  suiteId: string
}

/** An authorised corp of a suite. */
export interface SuiteCorpKey {
  suiteId: string
  corpId: string
}

/** A service provider (服务商), by its corp id. */
export interface ProviderKey {
  providerCorpId: string
}

export interface CorpTokenValue {
  access_token: string
}
export interface WecomTicketValue {
  ticket: string
}
export interface SuiteTicketValue {
  suite_ticket: string
  /** The push's CreateTime (Unix seconds), so an older push arriving late never replaces a newer ticket. */
  created_at?: string
}
export interface SuiteTokenValue {
  suite_access_token: string
}
/** A corp's permanent code for a suite, with the agent ids the corp gave the suite's apps (comma-separated). */
export interface PermanentCodeValue {
  permanent_code: string
  agent_ids: string
}
/** Which suite an authorised corp's app belongs to: how its token is fetched without a secret of its own. */
export interface AuthorizationValue {
  suite_id: string
}
export interface ProviderTokenValue {
  provider_access_token: string
}

const corpApp = { corpId: keyField.segment(), agentId: keyField.segment() }

/**
 * A corp app's access_token (`gettoken` with the app's secret for a self-built app, `get_corp_token` for an app of
 * an authorised corp). One per corp and app; refreshed ahead of its end. The secret is configuration, never a key.
 */
export const wecomCorpToken = registerKind<CorpAppKey, CorpTokenValue>({
  name: 'wecom_corp_token',
  keyFields: corpApp,
  ...keyLayout('wecom:{corpId}:{agentId}:corp-token'),
  credentialField: 'access_token',
  refreshAhead: 60_000,
})

/** The corp's JS-SDK ticket (`get_jsapi_ticket`, for `wx.config`), fetched with the app's token (≤ 100 an hour per app). */
export const wecomJsapiTicket = registerKind<CorpAppKey, WecomTicketValue>({
  name: 'wecom_jsapi_ticket',
  keyFields: corpApp,
  ...keyLayout('wecom:{corpId}:{agentId}:jsapi-ticket'),
  credentialField: 'ticket',
  refreshAhead: 60_000,
})

/** The app's JS-SDK ticket (`ticket/get?type=agent_config`, for `wx.agentConfig`). */
export const wecomAgentTicket = registerKind<CorpAppKey, WecomTicketValue>({
  name: 'wecom_agent_ticket',
  keyFields: corpApp,
  ...keyLayout('wecom:{corpId}:{agentId}:agent-ticket'),
  credentialField: 'ticket',
  refreshAhead: 60_000,
})

/**
 * A suite's `suite_ticket`: pushed every 10 minutes to the command callback URL, never fetched, valid 30 minutes
 * (the life it is stored with, counted from the push's `CreateTime`): one older than that is never served.
 * Durable: a restart between pushes must not lose it.
 */
export const wecomSuiteTicket = registerKind<SuiteKey, SuiteTicketValue>({
  name: 'wecom_suite_ticket',
  keyFields: { suiteId: keyField.segment() },
  ...keyLayout('wecom-suite:{suiteId}:suite-ticket'),
  credentialField: 'suite_ticket',
  life: 1800,
  durable: true,
  pushed: true,
  pushedHint:
    "check the suite's command callback URL (instruction callback) in the WeCom provider console and that it reaches this service",
})

/** A suite's `suite_access_token` (`get_suite_token` with the secret and the newest suite ticket). */
export const wecomSuiteToken = registerKind<SuiteKey, SuiteTokenValue>({
  name: 'wecom_suite_token',
  keyFields: { suiteId: keyField.segment() },
  ...keyLayout('wecom-suite:{suiteId}:suite-token'),
  credentialField: 'suite_access_token',
  refreshAhead: 60_000,
})

/**
 * An authorised corp's permanent code for a suite: it arrives once (the `create_auth` push, exchanged at once) and
 * cannot be fetched again — durable, never expires, never in a key, a log or an error.
 */
export const wecomPermanentCode = registerKind<SuiteCorpKey, PermanentCodeValue>({
  name: 'wecom_permanent_code',
  keyFields: { suiteId: keyField.segment(), corpId: keyField.segment() },
  ...keyLayout('wecom-suite:{suiteId}:{corpId}:permanent-code'),
  credentialField: 'permanent_code',
  durable: true,
  pushed: true,
  pushedHint: 'the corp has not authorised the suite (no create_auth arrived), or it cancelled the authorisation',
})

/** Which suite an authorised corp's app belongs to (written with its permanent code; durable). */
export const wecomAuthorization = registerKind<CorpAppKey, AuthorizationValue>({
  name: 'wecom_authorization',
  keyFields: corpApp,
  ...keyLayout('wecom:{corpId}:{agentId}:authorization'),
  credentialField: 'suite_id',
  durable: true,
  pushed: true,
  pushedHint: 'the app is neither configured with a secret nor authorised to a configured suite (no create_auth)',
})

/** The service provider's `provider_access_token` (`get_provider_token`). */
export const wecomProviderToken = registerKind<ProviderKey, ProviderTokenValue>({
  name: 'wecom_provider_token',
  keyFields: { providerCorpId: keyField.segment() },
  ...keyLayout('wecom-provider:{providerCorpId}:provider-token'),
  credentialField: 'provider_access_token',
  refreshAhead: 60_000,
})

/** Every WeCom kind's name. */
export const WECOM_KINDS = Object.freeze([
  wecomCorpToken.name,
  wecomJsapiTicket.name,
  wecomAgentTicket.name,
  wecomSuiteTicket.name,
  wecomSuiteToken.name,
  wecomPermanentCode.name,
  wecomAuthorization.name,
  wecomProviderToken.name,
] as const)
