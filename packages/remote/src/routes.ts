import type { CredentialKind, ResolvedKey } from '@open-bridge/core'

/**
 * The kinds the centre serves (uni-open-bridge's). Their own list, not all of core's `CredentialKind`: core holds
 * kinds of its own (the user refresh_token) that have no route.
 */
export type RouteKind = Extract<
  CredentialKind,
  'access_token' | 'user_access_token' | 'session_key' | 'encrypt_key' | 'ticket'
>

/** What a route does with its kind's credential. */
export type RouteOperation = 'get' | 'set' | 'remove' | 'refresh'

/** One route of the centre: `POST /${method}`. */
export interface CredentialRoute {
  /** The uni-open-bridge method name (`getAccessToken`, `refreshTicket`, …), and the route's path without its `/`. */
  readonly method: string
  readonly kind: RouteKind
  readonly operation: RouteOperation
}

/** uni-open-bridge's name of each kind, in the order of its methods. */
const KIND_NAMES: ReadonlyArray<readonly [kind: RouteKind, name: string]> = [
  ['access_token', 'AccessToken'],
  ['user_access_token', 'UserAccessToken'],
  ['session_key', 'SessionKey'],
  ['encrypt_key', 'EncryptKey'],
  ['ticket', 'Ticket'],
]

/** The kinds the centre serves, in the order of uni-open-bridge's methods. */
export const ROUTE_KINDS: readonly RouteKind[] = Object.freeze(KIND_NAMES.map(([kind]) => kind))

/**
 * Kinds with a `refresh*` route (compare-and-refresh, the coordination contract): those the platform can be asked
 * for again. A session_key only comes from a user's login.
 */
const REFRESHABLE: ReadonlySet<RouteKind> = new Set(['access_token', 'user_access_token', 'encrypt_key', 'ticket'])

/**
 * The centre's routes, the wire contract: uni-open-bridge's fifteen methods (`get` / `set` / `remove` of each
 * kind), then the four `refresh*` routes open-bridge adds (every kind but `session_key`).
 */
export const CREDENTIAL_ROUTES: readonly CredentialRoute[] = Object.freeze(
  [
    ...KIND_NAMES.flatMap(([kind, name]) =>
      (['get', 'set', 'remove'] as const).map((operation) => ({ method: `${operation}${name}`, kind, operation })),
    ),
    ...KIND_NAMES.filter(([kind]) => REFRESHABLE.has(kind)).map(([kind, name]) => ({
      method: `refresh${name}`,
      kind,
      operation: 'refresh' as const,
    })),
  ].map((route) => Object.freeze(route)),
)

/** The route for `operation` on `kind` (`credentialRoute('ticket', 'refresh')?.method === 'refreshTicket'`), if any. */
export function credentialRoute(kind: CredentialKind, operation: RouteOperation): CredentialRoute | undefined {
  return CREDENTIAL_ROUTES.find((route) => route.kind === kind && route.operation === operation)
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

/**
 * The centre's routes for registered kinds (`registerKind`: WeCom, the Open Platform, a family of your own):
 * `POST /kinds/<kind>/<operation>` with the body `{ key, value?, expiresIn?, ifValue? }`. Only kinds that can be
 * fetched again are served: a durable or pushed kind (a permanent code, a refresh token, a pushed ticket, an
 * authorisation pointer) is the deployment's root and never leaves it over HTTP (`E_KIND_NOT_SERVED`).
 */
export const KIND_ROUTE_PREFIX = '/kinds'

/** The operations of a registered kind's routes, in the order the centre registers them. */
export const KIND_OPERATIONS: readonly RouteOperation[] = Object.freeze(['get', 'set', 'remove', 'refresh'] as const)

/** The path of `operation` on a registered kind: `kindRoutePath('wecom_corp_token', 'get')` → `/kinds/wecom_corp_token/get`. */
export function kindRoutePath(kind: string, operation: RouteOperation): string {
  return `${KIND_ROUTE_PREFIX}/${encodeURIComponent(kind)}/${operation}`
}
