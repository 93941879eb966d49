import type { CredentialKind, ResolvedKey } from '@open-bridge/core'

/** The route name of each kind the centre serves (uni-open-bridge's method names); `user_refresh_token` has none. */
const ROUTE_NAMES: Partial<Record<CredentialKind, string>> = {
  access_token: 'AccessToken',
  user_access_token: 'UserAccessToken',
  session_key: 'SessionKey',
  encrypt_key: 'EncryptKey',
  ticket: 'Ticket',
}

/** Kinds the centre can be asked to refresh (its `refresh*` routes). A session_key only comes from a user's login. */
const REFRESHABLE: ReadonlySet<CredentialKind> = new Set(['access_token', 'user_access_token', 'encrypt_key', 'ticket'])

/** `/getAccessToken`, `/refreshTicket`, …; `undefined` when the centre has no such route. */
export function routeOf(kind: CredentialKind, operation: 'get' | 'refresh'): string | undefined {
  const name = ROUTE_NAMES[kind]
  if (name === undefined || (operation === 'refresh' && !REFRESHABLE.has(kind))) return undefined
  return `/${operation}${name}`
}

/**
 * The body's key fields: by platform appid (the resolved key always has it; the centre need not know the
 * business service's dcloudAppid), plus the fields of the kind.
 */
export function keyBody(key: ResolvedKey): Record<string, unknown> {
  const body: Record<string, unknown> = { appid: key.appid, platform: key.platform }
  if (key.openid !== undefined) body.openid = key.openid
  if (key.version !== undefined) body.version = key.version
  if (key.ticketType !== undefined) body.ticketType = key.ticketType
  return body
}
