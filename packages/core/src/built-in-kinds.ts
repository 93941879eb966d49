import { DEFAULT_REFRESH_AHEAD } from './coordination-options.js'
import { deepFreeze } from './deep-freeze.js'
import {
  CREDENTIAL_FIELDS,
  PLATFORMS,
  TICKET_TYPES,
  type CredentialKeys,
  type CredentialKind,
  type CredentialValues,
} from './credentials.js'
import { keyField, registeredKind, type CredentialKindDefinition, type KeyFieldCheck } from './kind-registry.js'

/**
 * uni-open-bridge's kinds written as kind definitions: the same data a family package registers. They are built
 * in rather than registered (their names are taken from the start): `KeyResolver` serves them by a fast path that
 * caches each app's key strings (its layout is this one, byte for byte — a test holds the two together), and their
 * keys name an app by `dcloudAppid` or `appid` (resolved through `apps`), which the storage keys below receive
 * already resolved. Refresh-ahead here is the default; `createBridge({ refreshAhead })` overrides it.
 */
export type BuiltInKindDefinitions = {
  readonly [K in CredentialKind]: CredentialKindDefinition<BuiltInKindKey<K>, CredentialValues[K]>
}

/** A built-in kind's key once its app is resolved: `appid` known; the storage key is built from this. */
export type BuiltInKindKey<K extends CredentialKind> = Omit<CredentialKeys[K], 'dcloudAppid' | 'appid'> & {
  appid: string
}

const platform: KeyFieldCheck = keyField.oneOf(PLATFORMS)
const appid = keyField.segment()
const openid = keyField.segment()
const version = keyField.integer(1)
const ticketType = (value: unknown) => (value === undefined ? undefined : keyField.oneOf(TICKET_TYPES)(value))

const base = (key: { platform: string; appid: string }) => `uni-id:${key.platform}:${key.appid}:`

const definitions: BuiltInKindDefinitions = {
  access_token: {
    name: 'access_token',
    keyFields: { platform, appid },
    storageKey: (key) => `${base(key)}access-token`,
    credentialField: CREDENTIAL_FIELDS.access_token,
    refreshAhead: DEFAULT_REFRESH_AHEAD,
  },
  ticket: {
    name: 'ticket',
    keyFields: { platform, appid, ticketType },
    // jsapi keeps uni-open-bridge's `ticket`; wx_card is stored beside it.
    storageKey: (key) => `${base(key)}${key.ticketType === 'wx_card' ? 'ticket-wx_card' : 'ticket'}`,
    credentialField: CREDENTIAL_FIELDS.ticket,
    refreshAhead: DEFAULT_REFRESH_AHEAD,
  },
  user_access_token: {
    name: 'user_access_token',
    keyFields: { platform, appid, openid },
    storageKey: (key) => `${base(key)}${key.openid}:user-access-token`,
    credentialField: CREDENTIAL_FIELDS.user_access_token,
    refreshAhead: DEFAULT_REFRESH_AHEAD,
  },
  session_key: {
    name: 'session_key',
    keyFields: { platform, appid, openid },
    storageKey: (key) => `${base(key)}${key.openid}:session-key`,
    credentialField: CREDENTIAL_FIELDS.session_key,
    refreshAhead: 0,
  },
  encrypt_key: {
    name: 'encrypt_key',
    keyFields: { platform, appid, openid, version },
    storageKey: (key) => `${base(key)}${key.openid}:encrypt-key-${key.version}`,
    credentialField: CREDENTIAL_FIELDS.encrypt_key,
    companionFields: ['iv'],
    refreshAhead: 0,
  },
  user_refresh_token: {
    name: 'user_refresh_token',
    keyFields: { platform, appid, openid },
    storageKey: (key) => `${base(key)}${key.openid}:user-refresh-token`,
    credentialField: CREDENTIAL_FIELDS.user_refresh_token,
    refreshAhead: 0,
    // Not durable yet: it would refuse today's memory-only bridges (see the README, "Durable kinds").
  },
}

/** Frozen: the data cannot be changed under the bridges that read it. */
export const BUILT_IN_KINDS: BuiltInKindDefinitions = deepFreeze(definitions)

/** The definition of a built-in or registered kind, or `undefined` (for tools that take a kind's name: a CLI, a route). */
export function kindDefinition(name: string): CredentialKindDefinition | undefined {
  return Object.hasOwn(BUILT_IN_KINDS, name)
    ? (BUILT_IN_KINDS[name as CredentialKind] as unknown as CredentialKindDefinition)
    : registeredKind(name)?.definition
}
