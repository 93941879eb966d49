import { credentialString, registeredKind, type CredentialBridge, type RegisteredKind } from '@open-bridge/core'
import { EXPIRES_IN_HEADER, KIND_OPERATIONS, KIND_ROUTE_PREFIX, type RouteOperation } from '@open-bridge/remote'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ServerError } from '../errors.js'
import { expiresInSeconds } from './expires-in.js'

/**
 * The routes of registered kinds (`registerKind`: WeCom's, the Open Platform's, a family of your own):
 * `POST /kinds/<kind>/get | set | remove | refresh`, body `{ key, value?, expiresIn?, ifValue? }`. Same checks as the
 * uni-open-bridge routes (signature, allow-list, Host, body limit, `{ errCode, errMsg }` answers, `x-ob-expires-in`
 * on a value); the key is checked by the kind's own definition in core (`E_INVALID_KEY` naming `key.<field>`).
 *
 * **The durable rule**: a durable or pushed kind — a permanent code, a refresh token, a pushed ticket, an
 * authorisation pointer — is the deployment's root (it cannot be fetched again; whoever holds it can mint every
 * token below it) and is never served over HTTP, in either direction: 403 `E_KIND_NOT_SERVED`. Only kinds the
 * centre can fetch again (corp tokens, JS-SDK tickets, suite / provider / component tokens) are served.
 */

/** A kind route's body once its schema passed. */
export interface KindBody {
  key: Record<string, unknown>
  value?: object
  expiresIn?: number
  ifValue?: string
}

const FORBIDDEN_KEYS = { not: { enum: ['__proto__', 'constructor', 'prototype'] } } as const
const OBJECT = (maxProperties: number) => ({ type: 'object', maxProperties, propertyNames: FORBIDDEN_KEYS }) as const

const OPERATION_FIELDS: Record<RouteOperation, Record<string, object>> = {
  get: {},
  remove: {},
  set: { value: OBJECT(64), expiresIn: { type: 'number' } },
  refresh: { ifValue: { type: 'string', minLength: 1, maxLength: 8192 } },
}

/**
 * A kind route's body schema: `key` (the kind's fields; core checks them), plus `value` / `expiresIn` to set and
 * `ifValue` to refresh. A new API with no older clients to humour: any other field is refused (400 naming it), so
 * `expires_in` for `expiresIn` is never a value stored for ever.
 */
export function kindBodySchema(operation: RouteOperation): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['key', ...(operation === 'set' ? ['value'] : [])],
    properties: { key: OBJECT(32), ...OPERATION_FIELDS[operation] },
  }
}

const KIND_PATH = new RegExp(`^${KIND_ROUTE_PREFIX}/[^/]+/(${KIND_OPERATIONS.join('|')})$`)

/** Is `path` (without its query) one of the kind routes' paths? For the 405 answer to another method. */
export function isKindRoutePath(path: string): boolean {
  return KIND_PATH.test(path)
}

const SHOWN_NAME = /^[a-z][a-z0-9_]{0,63}$/

/** The registered kind a route names, or the error it answers: unknown (404) or not served (403). */
export function servedKind(name: string): RegisteredKind {
  const kind = registeredKind(name)
  const shown = SHOWN_NAME.test(name) ? name : 'this kind'
  if (kind === undefined) {
    throw new ServerError('E_UNKNOWN_KIND', `${shown} is not a registered credential kind of this service`, {
      statusCode: 404,
      field: 'kind',
    })
  }
  const { durable, pushed } = kind.definition
  if (durable === true || pushed === true) {
    throw new ServerError(
      'E_KIND_NOT_SERVED',
      `${shown} is ${durable === true ? 'durable' : 'pushed'}: it cannot be fetched again, so it stays on the service's own tiers and is never served over HTTP (read it there: open-bridge get ${shown} --config …)`,
      { statusCode: 403, field: 'kind' },
    )
  }
  return kind
}

/**
 * Registers the four routes. `guard` runs first in each handler (the signature check of the credential routes);
 * the kind is looked up per request, so a kind registered after the app was built is served too.
 */
export function registerKindRoutes(
  app: FastifyInstance,
  bridge: CredentialBridge,
  guard: ((request: FastifyRequest) => void) | undefined,
): void {
  for (const operation of KIND_OPERATIONS) {
    const call = kindCall(bridge, operation)
    app.post<{ Body: KindBody; Params: { kind: string } }>(
      `${KIND_ROUTE_PREFIX}/:kind/${operation}`,
      { schema: { body: kindBodySchema(operation) } },
      (request, reply) => {
        guard?.(request)
        return call(servedKind(request.params.kind), request.body, reply)
      },
    )
  }
}

type KindCall = (kind: RegisteredKind, body: KindBody, reply: FastifyReply) => Promise<object | null>

/** The bridge call behind one operation; a value's answer carries its remaining life in `x-ob-expires-in`. */
function kindCall(bridge: CredentialBridge, operation: RouteOperation): KindCall {
  // The generic methods take any registered kind's name; their types name the built-in ones only.
  const named = (kind: RegisteredKind) => kind.definition.name as never
  switch (operation) {
    case 'get':
      return async (kind, body, reply) => {
        const record = await bridge.getRecord(named(kind), body.key as never)
        if (record === null) return null
        reply.header(EXPIRES_IN_HEADER, String(expiresInSeconds(record.expiresAt)))
        return record.value
      }
    case 'set':
      return async (kind, body) => {
        await bridge.set(named(kind), body.key as never, body.value as never, body.expiresIn)
        return null
      }
    case 'remove':
      return async (kind, body) => {
        await bridge.remove(named(kind), body.key as never)
        return null
      }
    case 'refresh':
      // Compare-and-refresh: one fetch for the deployment however many reporters of the same rejected value.
      return async (kind, body, reply) => {
        const name = named(kind)
        const value = await bridge.refresh(
          name,
          body.key as never,
          body.ifValue === undefined ? {} : { ifValue: body.ifValue },
        )
        if (value === null) return null
        // The record just written is in the nearest tier: its life, when it is still the value answered.
        const record = await bridge.getRecord(name, body.key as never).catch(() => null)
        if (
          record !== null &&
          credentialString(kind.definition.name, record.value) === credentialString(kind.definition.name, value)
        )
          reply.header(EXPIRES_IN_HEADER, String(expiresInSeconds(record.expiresAt)))
        return value
      }
  }
}
