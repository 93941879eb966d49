import { PLATFORMS, TICKET_TYPES, type CredentialKind } from '@open-bridge/core'

/**
 * The kinds uni-open-bridge's routes serve. Its own list, not all of core's `CredentialKind`: core may hold
 * kinds of its own (such as a user refresh_token) that have no route.
 */
export type RouteKind = Extract<
  CredentialKind,
  'access_token' | 'user_access_token' | 'session_key' | 'encrypt_key' | 'ticket'
>

/** What a route does with its credential kind. */
export type CredentialOperation = 'get' | 'set' | 'remove' | 'refresh'

export interface CredentialRoute {
  /** The uni-open-bridge method name, and the route's path without its `/`. */
  readonly method: string
  readonly kind: RouteKind
  readonly operation: CredentialOperation
}

const KIND_NAMES: ReadonlyArray<[name: string, kind: RouteKind]> = [
  ['AccessToken', 'access_token'],
  ['UserAccessToken', 'user_access_token'],
  ['SessionKey', 'session_key'],
  ['EncryptKey', 'encrypt_key'],
  ['Ticket', 'ticket'],
]

/** Kinds with compare-and-refresh (the coordination contract): those the platform can be asked for again. */
const REFRESHABLE: ReadonlySet<RouteKind> = new Set(['access_token', 'ticket', 'encrypt_key', 'user_access_token'])

/** uni-open-bridge's fifteen methods, then the four `refresh*` routes. */
export const CREDENTIAL_ROUTES: readonly CredentialRoute[] = [
  ...KIND_NAMES.flatMap(([name, kind]) =>
    (['get', 'set', 'remove'] as const).map((operation) => ({ method: `${operation}${name}`, kind, operation })),
  ),
  ...KIND_NAMES.filter(([, kind]) => REFRESHABLE.has(kind)).map(([name, kind]) => ({
    method: `refresh${name}`,
    kind,
    operation: 'refresh' as const,
  })),
]

// ── body schemas ─────────────────────────────────────────────────────────────────────────────────────

const nonEmpty = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const

const KEY_FIELDS = {
  dcloudAppid: nonEmpty(128),
  appid: nonEmpty(128),
  platform: { type: 'string', enum: [...PLATFORMS] },
} as const
const USER_FIELDS = { openid: nonEmpty(256) } as const
const KIND_FIELDS: Record<RouteKind, Record<string, object>> = {
  access_token: {},
  ticket: { ticketType: { type: 'string', enum: [...TICKET_TYPES] } },
  user_access_token: USER_FIELDS,
  session_key: USER_FIELDS,
  encrypt_key: { ...USER_FIELDS, version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
}
const KIND_REQUIRED: Record<RouteKind, string[]> = {
  access_token: ['platform'],
  ticket: ['platform'],
  user_access_token: ['platform', 'openid'],
  session_key: ['platform', 'openid'],
  encrypt_key: ['platform', 'openid', 'version'],
}
const OPERATION_FIELDS: Record<CredentialOperation, Record<string, object>> = {
  get: {},
  remove: {},
  // Values are plain objects whose extra fields are kept; the bridge checks the rest.
  set: {
    value: {
      type: 'object',
      maxProperties: 64,
      propertyNames: { not: { enum: ['__proto__', 'constructor', 'prototype'] } },
    },
    expiresIn: { type: 'number' },
  },
  refresh: { ifValue: { type: 'string', maxLength: 8192 } },
}

/**
 * The JSON schema of a route's body: the key fields of its kind (`dcloudAppid` or `appid` — the bridge says
 * which one is missing), plus `value`/`expiresIn` to set and `ifValue` to refresh. Nothing else is accepted.
 */
export function bodySchema(route: CredentialRoute): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: [...KIND_REQUIRED[route.kind], ...(route.operation === 'set' ? ['value'] : [])],
    properties: { ...KEY_FIELDS, ...KIND_FIELDS[route.kind], ...OPERATION_FIELDS[route.operation] },
  }
}
