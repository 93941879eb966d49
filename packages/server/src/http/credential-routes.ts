import { PLATFORMS, TICKET_TYPES } from '@open-bridge/core'
import type { CredentialRoute, RouteKind, RouteOperation } from '@open-bridge/remote'
import { LEGACY_PLATFORMS } from '../compat/legacy-key.js'

/*
 * The body schema of each of the centre's routes. The routes themselves (uni-open-bridge's fifteen methods and
 * the four `refresh*`) are the wire contract, `CREDENTIAL_ROUTES` of @open-bridge/remote.
 */

const nonEmpty = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const

/** Today's platform names and the first cloud object's (`mp-weixin`, …), which the routes map. */
const PLATFORM_NAME = { type: 'string', enum: [...PLATFORMS, ...Object.keys(LEGACY_PLATFORMS)] } as const
const KEY_FIELDS = {
  dcloudAppid: nonEmpty(128),
  appid: nonEmpty(128),
  platform: PLATFORM_NAME,
  // uni-open-bridge-common 1.1.1 on: `provider` names the platform (and wins over `platform`).
  provider: PLATFORM_NAME,
} as const
const USER_FIELDS = { openid: nonEmpty(256) } as const
const KIND_FIELDS: Record<RouteKind, Record<string, object>> = {
  access_token: {},
  ticket: { ticketType: { type: 'string', enum: [...TICKET_TYPES] } },
  user_access_token: USER_FIELDS,
  session_key: USER_FIELDS,
  encrypt_key: { ...USER_FIELDS, version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
}
// `platform` may come as `provider` (the bridge names the field when neither is there); an encrypt key's `version`
// may be missing (the newest key, see the compat calls).
const KIND_REQUIRED: Record<RouteKind, string[]> = {
  access_token: [],
  ticket: [],
  user_access_token: ['openid'],
  session_key: ['openid'],
  encrypt_key: ['openid'],
}
const OPERATION_FIELDS: Record<RouteOperation, Record<string, object>> = {
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
 * which one is missing), plus `value`/`expiresIn` to set and `ifValue` to refresh.
 *
 * Unknown fields, per route: the original passed the whole body to uni-open-bridge-common, which read only the
 * fields it knew, so clients send extra ones (a `fallback`, bookkeeping of their own). A read, remove or refresh
 * ignores them, as the original did: nothing is stored, and a misspelt required field (`openId`) is still refused
 * because the real one is missing. A `set*` refuses them (400 naming the field): there a typo such as
 * `expires_in` for `expiresIn` would silently store the credential for ever.
 */
export function bodySchema(route: CredentialRoute): object {
  return {
    type: 'object',
    additionalProperties: route.operation !== 'set',
    required: [...KIND_REQUIRED[route.kind], ...(route.operation === 'set' ? ['value'] : [])],
    properties: { ...KEY_FIELDS, ...KIND_FIELDS[route.kind], ...OPERATION_FIELDS[route.operation] },
  }
}

/**
 * Routes of uni-open-bridge's first cloud object (1.0.0), whose "user key" was the mini-program session_key:
 * `getUserKey` / `setUserKey` / `removeUserKey` answer as `getSessionKey` / `setSessionKey` / `removeSessionKey`.
 */
export const LEGACY_ROUTES: readonly CredentialRoute[] = Object.freeze(
  (['get', 'set', 'remove'] as const).map((operation) =>
    Object.freeze({ method: `${operation}UserKey`, kind: 'session_key' as const, operation }),
  ),
)
