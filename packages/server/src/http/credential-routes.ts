import { PLATFORMS, TICKET_TYPES } from '@open-bridge/core'
import type { CredentialRoute, RouteKind, RouteOperation } from '@open-bridge/remote'

/*
 * The body schema of each of the centre's routes. The routes themselves (uni-open-bridge's fifteen methods and
 * the four `refresh*`) are the wire contract, `CREDENTIAL_ROUTES` of @open-bridge/remote.
 */

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
