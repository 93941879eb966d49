import { EXPIRES_IN_HEADER, credentialRoute, type RouteKind, type RouteOperation } from '@open-bridge/remote'
import { ServerError } from '../errors.js'
import { type CliKey, usage } from './credential-key.js'
import { RemoteClient, type RemoteAnswer, type RemoteOptions } from './remote-client.js'
import type { CredentialTarget, HeldCredential } from './target.js'

/** get / set / remove / refresh through the central service's uni-open-bridge routes (`POST /getAccessToken`, …). */
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
      return held(await client.call(methodOf(kind, 'get'), key))
    },
    async set(kind, key, value, expiresIn) {
      await client.call(methodOf(kind, 'set'), { ...key, value, ...(expiresIn !== undefined ? { expiresIn } : {}) })
    },
    async remove(kind, key) {
      await client.call(methodOf(kind, 'remove'), key)
    },
    async refresh(kind: RouteKind, key: CliKey, ifValue) {
      return held(
        await client.call(methodOf(kind, 'refresh'), { ...key, ...(ifValue !== undefined ? { ifValue } : {}) }),
      )
    },
    close: async () => undefined,
  }
}

/** The route's method name (`getAccessToken`, …); a refresh of a kind without one is refused before any call. */
function methodOf(kind: RouteKind, operation: RouteOperation): string {
  const route = credentialRoute(kind, operation)
  return route === undefined ? usage(`${kind} cannot be refreshed`) : route.method
}
