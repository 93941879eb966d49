import { keyField, keyLayout, registerKind, type Platform } from '@open-bridge/core'

/** How long WeChat accepts a `component_verify_ticket` after its push, in seconds (12 h). */
export const COMPONENT_TICKET_LIFE_SECONDS = 43_200

/** Which component a key names. */
export interface ComponentKey {
  componentAppid: string
}

/** One account (official account or mini program) authorised to one component. */
export interface AuthorizerKey {
  componentAppid: string
  authorizerAppid: string
}

/** An authorised account, whichever component holds it. */
export interface AuthorizerHomeKey {
  authorizerAppid: string
}

/**
 * The newest pushed `component_verify_ticket` and the one before it (tried on 61005 / 61006 while it is within 12 h
 * of its push). `createTime` is the push's `CreateTime` (Unix seconds): a ticket's age is measured from it.
 */
export interface ComponentVerifyTicketValue {
  ticket: string
  createTime: number
  previousTicket?: string
  previousCreateTime?: number
}

export interface ComponentAccessTokenValue {
  component_access_token: string
}

export interface AuthorizerRefreshTokenValue {
  authorizer_refresh_token: string
}

/** Whether an authorised account can be served, or must authorise again (61023). */
export type AuthorizerStatus = 'authorized' | 'reauthorize'

/**
 * Which of the deployment's components hold an account. `componentAppid` is the one its token is fetched through;
 * `componentAppids` every one it is authorised to (two or more: a read without `componentAppid` is ambiguous).
 */
export interface AuthorizerHomeValue {
  componentAppid: string
  componentAppids: string[]
  status: AuthorizerStatus
  /**
   * The platform its token was last fetched under (`weixin-mp` for a mini program, `weixin-h5` for an official
   * account), so the scheduler keeps that copy fresh and never fetches a second token under the other platform (a
   * new token leaves the previous one about 5 minutes). Absent until the account is first read or authorised with one.
   */
  platform?: Extract<Platform, 'weixin-h5' | 'weixin-mp'>
}

const componentAppid = keyField.segment()
const authorizerAppid = keyField.segment()

/** Pushed every 10 minutes to the authorisation event URL, never fetched; durable (it cannot be had again). */
export const componentVerifyTicket = registerKind<ComponentKey, ComponentVerifyTicketValue>({
  name: 'component_verify_ticket',
  keyFields: { componentAppid },
  ...keyLayout<ComponentKey>('wechat-open:{componentAppid}:verify-ticket'),
  credentialField: 'ticket',
  durable: true,
  pushed: true,
  life: COMPONENT_TICKET_LIFE_SECONDS,
  pushedHint:
    "check the third-party platform's authorisation event URL (it must reach POST /open-platform/<componentAppid>/events), its Token and EncodingAESKey; startPushTicket() asks WeChat to resume pushing",
})

/** Fetched with the verify ticket (`api_component_token`); no stable variant: a new one leaves the old ~5 min. */
export const componentAccessToken = registerKind<ComponentKey, ComponentAccessTokenValue>({
  name: 'component_access_token',
  keyFields: { componentAppid },
  ...keyLayout<ComponentKey>('wechat-open:{componentAppid}:component-token'),
  credentialField: 'component_access_token',
  refreshAhead: 5 * 60_000,
})

/** Durable: lost, it is recovered only from `api_get_authorizer_list` (a miss does that). */
export const authorizerRefreshToken = registerKind<AuthorizerKey, AuthorizerRefreshTokenValue>({
  name: 'authorizer_refresh_token',
  keyFields: { componentAppid, authorizerAppid },
  ...keyLayout<AuthorizerKey>('wechat-open:{componentAppid}:authorizer:{authorizerAppid}:refresh-token'),
  credentialField: 'authorizer_refresh_token',
  durable: true,
})

/** Durable: which component holds the account, so it is read like any app (`getAccessToken({ appid })`). */
export const authorizerHome = registerKind<AuthorizerHomeKey, AuthorizerHomeValue>({
  name: 'authorizer_home',
  keyFields: { authorizerAppid },
  ...keyLayout<AuthorizerHomeKey>('wechat-open:authorizer:{authorizerAppid}:home'),
  credentialField: 'componentAppid',
  durable: true,
})
