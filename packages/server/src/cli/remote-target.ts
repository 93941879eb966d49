import {
  EXPIRES_IN_HEADER,
  ROUTE_KINDS,
  credentialRoute,
  kindRoutePath,
  type RouteKind,
  type RouteOperation,
} from '@open-bridge/remote'
import { ServerError } from '../errors.js'
import { usage } from './credential-key.js'
import { RemoteClient, type RemoteAnswer, type RemoteOptions } from './remote-client.js'
import type { CredentialTarget, HeldCredential } from './target.js'

/**
 * get / set / remove / refresh through the central service's routes: uni-open-bridge's for a built-in kind
 * (`POST /getAccessToken`, …, the key fields in the body), `POST /kinds/<kind>/<operation>` for a registered kind
 * (`{ key, value?, expiresIn?, ifValue? }`; the service refuses a durable or pushed one, `E_KIND_NOT_SERVED`).
 */
export function openRemoteTarget(options: RemoteOptions): CredentialTarget {
  const client = new RemoteClient(options)
  const held = ({ body, headers, midpoint }: RemoteAnswer): HeldCredential | null => {
    if (body === null) return null
    if (typeof body !== 'object' || body === undefined || Array.isArray(body)) {
      throw new ServerError('E_REMOTE_ANSWER', `${client.label} answered something that is not a credential object`)
    }
    // The body is the value, as uni-open-bridge answers it; a server that knows the record's life says it beside,
    // in x-ob-expires-in (whole seconds, -1 = never). Without the header the expiry is not known here.
    const seconds = /^(-1|\d{1,10})$/.exec(headers.get(EXPIRES_IN_HEADER) ?? '')?.[0]
    if (seconds === undefined) return { value: body as Record<string, unknown> }
    return {
      value: body as Record<string, unknown>,
      expiresAt: seconds === '-1' ? null : midpoint + Number(seconds) * 1000,
    }
  }
  return {
    mode: 'remote',
    async get(kind, key) {
      return held(await client.call(methodOf(kind, 'get'), bodyOf(kind, key, {})))
    },
    async set(kind, key, value, expiresIn) {
      await client.call(
        methodOf(kind, 'set'),
        bodyOf(kind, key, { value, ...(expiresIn !== undefined ? { expiresIn } : {}) }),
      )
    },
    async remove(kind, key) {
      await client.call(methodOf(kind, 'remove'), bodyOf(kind, key, {}))
    },
    async refresh(kind, key, ifValue) {
      return held(
        await client.call(methodOf(kind, 'refresh'), bodyOf(kind, key, ifValue !== undefined ? { ifValue } : {})),
      )
    },
    close: async () => undefined,
  }
}

function isRouteKind(kind: string): kind is RouteKind {
  return (ROUTE_KINDS as readonly string[]).includes(kind)
}

/** A built-in route's body is the key's fields beside the operation's; a kind route's has the key as `key`. */
function bodyOf(kind: string, key: object, extra: Record<string, unknown>): object {
  return isRouteKind(kind) ? { ...key, ...extra } : { key, ...extra }
}

/**
 * The route's path without its `/` (`getAccessToken`, `kinds/wecom_corp_token/get`); a refresh of a built-in kind
 * without one is refused before any call.
 */
function methodOf(kind: string, operation: RouteOperation): string {
  if (!isRouteKind(kind)) return kindRoutePath(kind, operation).slice(1)
  const route = credentialRoute(kind, operation)
  return route === undefined ? usage(`${kind} cannot be refreshed`) : route.method
}
