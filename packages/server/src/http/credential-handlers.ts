import type { CredentialBridge } from '@open-bridge/core'
import { ServerError } from '../errors.js'
import type { CredentialRoute, RouteKind } from './credential-routes.js'

/** A route's body once its schema passed: key fields, plus the fields of its operation. */
export interface CredentialBody {
  value?: object
  expiresIn?: number
  ifValue?: string
  [field: string]: unknown
}

/** What a route resolves: the value object, or `null` (a miss, and every set / remove / refresh that found nothing). */
export type CredentialCall = (body: CredentialBody) => Promise<object | null>

type RefreshMethod = (key: unknown, options: { ifValue?: string }) => Promise<object | null>

/**
 * The bridge call behind a route, chosen once when the app is built. The key is the body itself: the bridge
 * reads only the key fields, so `value` / `expiresIn` / `ifValue` beside them are not looked at.
 */
export function credentialCall(bridge: CredentialBridge, route: CredentialRoute): CredentialCall {
  const kind: RouteKind = route.kind
  switch (route.operation) {
    case 'get':
      return (body) => bridge.get(kind, body as never)
    case 'set':
      return (body) => bridge.set(kind, body as never, body.value as never, body.expiresIn).then(toNull)
    case 'remove':
      return (body) => bridge.remove(kind, body as never).then(toNull)
    case 'refresh': {
      // Compare-and-refresh arrives in core with the coordination issue (`bridge.refreshAccessToken(key, { ifValue })`
      // and siblings). Until then it is looked up by name; after the merge this becomes a typed call.
      const refresh = (bridge as unknown as Record<string, RefreshMethod | undefined>)[route.method]
      if (typeof refresh !== 'function') return notImplemented(route.method)
      return (body) => refresh.call(bridge, body, body.ifValue === undefined ? {} : { ifValue: body.ifValue }).then(orNull)
    }
  }
}

function toNull(): null {
  return null
}

function orNull(value: object | null | undefined): object | null {
  return value ?? null
}

function notImplemented(method: string): CredentialCall {
  return () =>
    Promise.reject(
      new ServerError('E_NOT_IMPLEMENTED', `${method} needs compare-and-refresh, which this version of @open-bridge/core lacks`, {
        statusCode: 501,
      }),
    )
}
