import type { CredentialBridge } from '@open-bridge/core'
import type { FastifyReply } from 'fastify'
import type { CredentialRoute, RouteKind } from '@open-bridge/remote'
import { uniCalls, type UniMethod } from '../compat/uni-calls.js'

/** A route's body once its schema passed: key fields, plus the fields of its operation. */
export interface CredentialBody {
  value?: object
  expiresIn?: number
  ifValue?: string
  [field: string]: unknown
}

/** What a route resolves: the value object, or `null` (a miss, and every set / remove / refresh that found nothing). */
export type CredentialCall = (body: CredentialBody, reply?: FastifyReply) => Promise<object | null>

/** uni-open-bridge's name of each kind, as in its method names. */
const KIND_NAMES: Record<RouteKind, string> = {
  access_token: 'AccessToken',
  user_access_token: 'UserAccessToken',
  session_key: 'SessionKey',
  encrypt_key: 'EncryptKey',
  ticket: 'Ticket',
}

/**
 * The call behind a route, chosen once when the app is built: the uni-open-bridge-common function of its kind and
 * operation (`uniCalls`), so a body takes what the original's did — `provider`, older platform spellings, a
 * missing encrypt-key `version`, `expiresIn: 0`, a user credential of an app not configured (see the compat
 * calls). The key is the body itself: only the key fields are read, so `value` / `expiresIn` / `ifValue` beside
 * them are not looked at.
 */
export function credentialCall(bridge: CredentialBridge, route: CredentialRoute): CredentialCall {
  const calls = uniCalls(bridge) as unknown as Record<
    UniMethod,
    (...args: unknown[]) => Promise<object | null | undefined>
  >
  const name = KIND_NAMES[route.kind]
  switch (route.operation) {
    case 'get': {
      const get = calls[`get${name}` as UniMethod]
      return (body) => get(body) as Promise<object | null>
    }
    case 'set': {
      const set = calls[`set${name}` as UniMethod]
      return (body) => set(body, body.value, body.expiresIn).then(toNull)
    }
    case 'remove': {
      const remove = calls[`remove${name}` as UniMethod]
      return (body) => remove(body).then(toNull)
    }
    case 'refresh': {
      // Compare-and-refresh: one refresh for the deployment however many reporters (see core's README).
      const refresh = calls[`refresh${name}` as UniMethod]
      return (body) =>
        refresh(body, body.ifValue === undefined ? {} : { ifValue: body.ifValue }) as Promise<object | null>
    }
  }
}

function toNull(): null {
  return null
}
