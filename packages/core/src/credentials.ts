import { registeredKind } from './kind-registry.js'

/**
 * The five credential kinds, their value objects and their keys: uni-open-bridge-common's vocabulary.
 */

export const PLATFORMS = ['weixin-mp', 'weixin-h5', 'weixin-web', 'weixin-app', 'qq-mp', 'qq-app'] as const
export type Platform = (typeof PLATFORMS)[number]

/**
 * uni-open-bridge's five kinds, plus `user_refresh_token`: the OAuth refresh_token (30 days) kept apart from the
 * 2-hour user access_token it renews, so renewal still works once that token has expired. It has no named
 * methods (uni-open-bridge has none); use `get` / `set` / `remove('user_refresh_token', userKey)`.
 */
export const CREDENTIAL_KINDS = [
  'access_token',
  'user_access_token',
  'session_key',
  'encrypt_key',
  'ticket',
  'user_refresh_token',
] as const
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number]

/** Kinds that belong to one user of an app and so need `openid` in their key. */
export type UserCredentialKind = 'user_access_token' | 'session_key' | 'encrypt_key' | 'user_refresh_token'

export const TICKET_TYPES = ['jsapi', 'wx_card'] as const
export type TicketType = (typeof TICKET_TYPES)[number]

// Each value keeps the extra fields a platform returns as they are (the index signature). Written out in each
// interface rather than inherited from a shared base, so the published types name no type users cannot import.
export interface AccessTokenValue {
  access_token: string
  [field: string]: unknown
}
export interface UserAccessTokenValue {
  access_token: string
  refresh_token?: string
  [field: string]: unknown
}
export interface SessionKeyValue {
  session_key: string
  [field: string]: unknown
}
export interface EncryptKeyValue {
  encrypt_key: string
  iv: string
  [field: string]: unknown
}
export interface TicketValue {
  ticket: string
  [field: string]: unknown
}
export interface UserRefreshTokenValue {
  refresh_token: string
  [field: string]: unknown
}

export interface CredentialValues {
  access_token: AccessTokenValue
  user_access_token: UserAccessTokenValue
  session_key: SessionKeyValue
  encrypt_key: EncryptKeyValue
  ticket: TicketValue
  user_refresh_token: UserRefreshTokenValue
}
/** The value object any kind may hold. */
export type CredentialValue = CredentialValues[CredentialKind]

/** An app is named by its uni-app `dcloudAppid` (resolved through `apps`) or by the platform `appid`. */
export type AppRef = { dcloudAppid: string; appid?: undefined } | { appid: string; dcloudAppid?: string | undefined }

export type AppKey = AppRef & { platform: Platform }
export type UserKey = AppKey & { openid: string }
/** `version` is the encrypt key version the client reports (an integer ≥ 1). */
export type EncryptKeyKey = UserKey & { version: number }
/** `ticketType` defaults to `jsapi`, stored under uni-open-bridge's `ticket` name; `wx_card` is stored apart. */
export type TicketKey = AppKey & { ticketType?: TicketType | undefined }

export interface CredentialKeys {
  access_token: AppKey
  user_access_token: UserKey
  session_key: UserKey
  encrypt_key: EncryptKeyKey
  ticket: TicketKey
  user_refresh_token: UserKey
}
export type CredentialKey = CredentialKeys[CredentialKind]

/**
 * A key after validation: the platform appid is known, the storage key is built.
 * This is what sources receive.
 */
export interface ResolvedKey<K extends CredentialKind = CredentialKind> {
  readonly kind: K
  readonly platform: Platform
  readonly appid: string
  readonly dcloudAppid: string | undefined
  readonly openid: string | undefined
  readonly version: number | undefined
  readonly ticketType: TicketType | undefined
  /** `uni-id:<platform>:<appid>[:<openid>]:<type>`, the uni-open-bridge layout. */
  readonly storageKey: string
}

/**
 * The field of each kind's value that is the credential itself: what the platform rejects, what
 * compare-and-refresh compares (`ifValue`) and what decides whether a refresh brought anything new.
 */
export const CREDENTIAL_FIELDS = {
  access_token: 'access_token',
  user_access_token: 'access_token',
  session_key: 'session_key',
  encrypt_key: 'encrypt_key',
  ticket: 'ticket',
  user_refresh_token: 'refresh_token',
} as const satisfies { [K in CredentialKind]: keyof CredentialValues[K] & string }

/**
 * The credential string of a value (see `CREDENTIAL_FIELDS`, or a registered kind's `credentialField`), or
 * `undefined` when the field is not a string or the kind is unknown.
 */
export function credentialString(kind: CredentialKind | (string & {}), value: object): string | undefined {
  const name = credentialFieldOf(kind)
  if (name === undefined) return undefined
  const field = (value as Record<string, unknown>)[name]
  return typeof field === 'string' ? field : undefined
}

/** The credential field of a built-in or registered kind. */
export function credentialFieldOf(kind: string): string | undefined {
  return Object.hasOwn(CREDENTIAL_FIELDS, kind)
    ? CREDENTIAL_FIELDS[kind as CredentialKind]
    : registeredKind(kind)?.definition.credentialField
}
