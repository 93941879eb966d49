import type { CredentialBridge } from '@open-bridge/core'
import type { FastifyReply } from 'fastify'
import type { CredentialRoute, RouteKind } from '@open-bridge/remote'

/** A route's body once its schema passed: key fields, plus the fields of its operation. */
export interface CredentialBody {
  value?: object
  expiresIn?: number
  ifValue?: string
  [field: string]: unknown
}

/** What a route resolves: the value object, or `null` (a miss, and every set / remove / refresh that found nothing). */
export type CredentialCall = (body: CredentialBody, reply?: FastifyReply) => Promise<object | null>

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
    case 'refresh':
      // Compare-and-refresh: one refresh for the deployment however many reporters (see core's README).
      return (body) => bridge.refresh(kind, body as never, body.ifValue === undefined ? {} : { ifValue: body.ifValue })
  }
}

function toNull(): null {
  return null
}
