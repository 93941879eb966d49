import type { AppRegistry } from './apps.js'
import { isPlatform } from './apps.js'
import {
  PLATFORMS,
  type CredentialKind,
  type Platform,
  type ResolvedKey,
  type TicketType,
} from './credentials.js'
import { BridgeError, describeType } from './errors.js'

/** The loose shape a caller's key is read as; validation decides what is really there. */
interface KeyFields {
  dcloudAppid?: unknown
  appid?: unknown
  platform?: unknown
  openid?: unknown
  version?: unknown
  ticketType?: unknown
}

const USER_KINDS: ReadonlySet<CredentialKind> = new Set(['user_access_token', 'session_key', 'encrypt_key'])

/**
 * Validates keys and turns them into storage keys in uni-open-bridge's layout
 * (`uni-id:<platform>:<appid>[:<openid>]:<type>`). It reads the caller's key and never writes to it.
 *
 * `storageKey` is on every call's hot path: a few `typeof` checks, at most two map lookups, one template literal.
 */
export class KeyResolver {
  readonly #apps: AppRegistry

  constructor(apps: AppRegistry) {
    this.#apps = apps
  }

  storageKey(kind: CredentialKind, key: unknown): string {
    if (typeof key !== 'object' || key === null) {
      throw new BridgeError('E_INVALID_KEY', `key must be an object, got ${describeType(key)}`, { field: 'key' })
    }
    const k = key as KeyFields
    const platform = k.platform
    if (!isPlatform(platform)) {
      throw new BridgeError('E_INVALID_KEY', `key.platform must be one of ${PLATFORMS.join(', ')}`, { field: 'key.platform' })
    }
    const appid = this.#appidOf(k, platform)
    switch (kind) {
      case 'access_token':
        return `uni-id:${platform}:${appid}:access-token`
      case 'ticket':
        return `uni-id:${platform}:${appid}:${ticketTypeName(k.ticketType)}`
      case 'user_access_token':
        return `uni-id:${platform}:${appid}:${segment(k.openid, 'openid')}:user-access-token`
      case 'session_key':
        return `uni-id:${platform}:${appid}:${segment(k.openid, 'openid')}:session-key`
      case 'encrypt_key':
        return `uni-id:${platform}:${appid}:${segment(k.openid, 'openid')}:encrypt-key-${version(k.version)}`
      default:
        throw new BridgeError('E_INVALID_KEY', `kind must be one of access_token, user_access_token, session_key, encrypt_key, ticket`, {
          field: 'kind',
        })
    }
  }

  /** The full description sources receive; `key` must already have passed `storageKey`. */
  resolve<K extends CredentialKind>(kind: K, key: unknown, storageKey: string): ResolvedKey<K> {
    const k = key as KeyFields
    const platform = k.platform as Platform
    return {
      kind,
      platform,
      appid: this.#appidOf(k, platform),
      dcloudAppid: typeof k.dcloudAppid === 'string' ? k.dcloudAppid : undefined,
      openid: USER_KINDS.has(kind) ? (k.openid as string) : undefined,
      version: kind === 'encrypt_key' ? (k.version as number) : undefined,
      ticketType: kind === 'ticket' ? ((k.ticketType as TicketType | undefined) ?? 'jsapi') : undefined,
      storageKey,
    }
  }

  #appidOf(k: KeyFields, platform: Platform): string {
    const appid = k.appid
    if (appid !== undefined) {
      const resolved = segment(appid, 'appid')
      if (k.dcloudAppid !== undefined) {
        const app = typeof k.dcloudAppid === 'string' ? this.#apps.byDcloudAppid(k.dcloudAppid, platform) : undefined
        if (app !== undefined && app.appid !== resolved) {
          throw new BridgeError('E_INVALID_KEY', `key.appid does not match the appid configured for key.dcloudAppid on ${platform}`, {
            field: 'key.appid',
          })
        }
      }
      return resolved
    }
    const dcloudAppid = k.dcloudAppid
    if (dcloudAppid === undefined) {
      throw new BridgeError('E_INVALID_KEY', 'key.dcloudAppid or key.appid is required', { field: 'key.dcloudAppid' })
    }
    if (typeof dcloudAppid !== 'string' || dcloudAppid.length === 0) {
      throw new BridgeError('E_INVALID_KEY', `key.dcloudAppid must be a non-empty string, got ${describeType(dcloudAppid)}`, {
        field: 'key.dcloudAppid',
      })
    }
    const app = this.#apps.byDcloudAppid(dcloudAppid, platform)
    if (app === undefined) {
      throw new BridgeError('E_UNKNOWN_APP', `no app is configured for key.dcloudAppid ${JSON.stringify(dcloudAppid)} on platform ${platform}`, {
        field: 'key.dcloudAppid',
      })
    }
    return app.appid
  }
}

/** A key segment: a non-empty string without `:`, so storage keys stay unambiguous. */
function segment(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new BridgeError('E_INVALID_KEY', `key.${field} must be a non-empty string, got ${describeType(value)}`, { field: `key.${field}` })
  }
  if (value.includes(':')) {
    throw new BridgeError('E_INVALID_KEY', `key.${field} must not contain ':'`, { field: `key.${field}` })
  }
  return value
}

function version(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BridgeError('E_INVALID_KEY', `key.version must be an integer ≥ 1, got ${describeType(value)}`, { field: 'key.version' })
  }
  return value
}

/** jsapi tickets keep uni-open-bridge's `ticket` name; wx_card tickets are stored beside them. */
function ticketTypeName(value: unknown): string {
  if (value === undefined || value === 'jsapi') return 'ticket'
  if (value === 'wx_card') return 'ticket-wx_card'
  throw new BridgeError('E_INVALID_KEY', `key.ticketType must be 'jsapi' or 'wx_card'`, { field: 'key.ticketType' })
}
