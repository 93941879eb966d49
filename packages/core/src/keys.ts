import type { AppRegistry } from './apps.js'
import { isPlatform } from './apps.js'
import {
  CREDENTIAL_KINDS,
  PLATFORMS,
  type CredentialKind,
  type Platform,
  type ResolvedKey,
  type TicketType,
} from './credentials.js'
import { BridgeError, describeType } from './errors.js'
import { quoteValue } from './quote-value.js'

/** The loose shape a caller's key is read as; validation decides what is really there. */
interface KeyFields {
  dcloudAppid?: unknown
  appid?: unknown
  platform?: unknown
  openid?: unknown
  version?: unknown
  ticketType?: unknown
}

const USER_KINDS: ReadonlySet<CredentialKind> = new Set([
  'user_access_token',
  'session_key',
  'encrypt_key',
  'user_refresh_token',
])

/** The storage-key strings of one app, built once (see `KeyResolver`). */
interface AppKeyStrings {
  readonly appid: string
  readonly accessToken: string
  readonly ticket: string
  readonly wxCardTicket: string
  /** `uni-id:<platform>:<appid>:`, to which user kinds add `<openid>:<type>`. */
  readonly userPrefix: string
}

/** How many distinct appids per platform keep pre-built strings before the cache starts over. */
const MAX_CACHED_APPIDS = 10_000

/**
 * Validates keys and turns them into storage keys in uni-open-bridge's layout
 * (`uni-id:<platform>:<appid>[:<openid>]:<type>`). It reads the caller's key and never writes to it.
 *
 * `storageKey` is on every call's hot path. Hashing a freshly built string costs more than everything else
 * on a memory hit together, so app-level keys are built once per appid and reused: a hit then looks up only
 * strings the caller already holds (usually literals, whose hashes V8 keeps).
 */
export class KeyResolver {
  readonly #apps: AppRegistry
  readonly #strings = new Map<Platform, Map<string, AppKeyStrings>>()

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
      throw new BridgeError('E_INVALID_KEY', `key.platform must be one of ${PLATFORMS.join(', ')}`, {
        field: 'key.platform',
      })
    }
    const app = this.#appStrings(k, platform)
    switch (kind) {
      case 'access_token':
        return app.accessToken
      case 'ticket':
        return k.ticketType === undefined || k.ticketType === 'jsapi'
          ? app.ticket
          : k.ticketType === 'wx_card'
            ? app.wxCardTicket
            : badTicketType()
      case 'user_access_token':
        return `${app.userPrefix}${segment(k.openid, 'openid')}:user-access-token`
      case 'session_key':
        return `${app.userPrefix}${segment(k.openid, 'openid')}:session-key`
      case 'user_refresh_token':
        return `${app.userPrefix}${segment(k.openid, 'openid')}:user-refresh-token`
      case 'encrypt_key':
        return `${app.userPrefix}${segment(k.openid, 'openid')}:encrypt-key-${version(k.version)}`
      default:
        throw new BridgeError('E_INVALID_KEY', `kind must be one of ${CREDENTIAL_KINDS.join(', ')}`, { field: 'kind' })
    }
  }

  /** The full description sources receive; `key` must already have passed `storageKey`. */
  resolve<K extends CredentialKind>(kind: K, key: unknown, storageKey: string): ResolvedKey<K> {
    const k = key as KeyFields
    const platform = k.platform as Platform
    return {
      kind,
      platform,
      appid: this.#appStrings(k, platform).appid,
      dcloudAppid: typeof k.dcloudAppid === 'string' ? k.dcloudAppid : undefined,
      openid: USER_KINDS.has(kind) ? (k.openid as string) : undefined,
      version: kind === 'encrypt_key' ? (k.version as number) : undefined,
      ticketType: kind === 'ticket' ? ((k.ticketType as TicketType | undefined) ?? 'jsapi') : undefined,
      storageKey,
    }
  }

  #appStrings(k: KeyFields, platform: Platform): AppKeyStrings {
    const appid = k.appid
    if (appid !== undefined) {
      if (k.dcloudAppid !== undefined) {
        const app = typeof k.dcloudAppid === 'string' ? this.#apps.byDcloudAppid(k.dcloudAppid, platform) : undefined
        if (app !== undefined && app.appid !== appid) {
          throw new BridgeError(
            'E_INVALID_KEY',
            `key.appid does not match the appid configured for key.dcloudAppid on ${platform}`,
            {
              field: 'key.appid',
            },
          )
        }
      }
      return this.#stringsFor(platform, appid)
    }
    const dcloudAppid = k.dcloudAppid
    if (dcloudAppid === undefined) {
      throw new BridgeError('E_INVALID_KEY', 'key.dcloudAppid or key.appid is required', { field: 'key.dcloudAppid' })
    }
    if (typeof dcloudAppid !== 'string' || dcloudAppid.length === 0) {
      throw new BridgeError(
        'E_INVALID_KEY',
        `key.dcloudAppid must be a non-empty string, got ${describeType(dcloudAppid)}`,
        {
          field: 'key.dcloudAppid',
        },
      )
    }
    const app = this.#apps.byDcloudAppid(dcloudAppid, platform)
    if (app === undefined) {
      throw new BridgeError(
        'E_UNKNOWN_APP',
        `no app is configured for key.dcloudAppid ${quoteValue(dcloudAppid)} on platform ${platform}`,
        {
          field: 'key.dcloudAppid',
        },
      )
    }
    return this.#stringsFor(platform, app.appid)
  }

  /** The cached strings of an appid; the appid is validated when they are first built. */
  #stringsFor(platform: Platform, appid: unknown): AppKeyStrings {
    let byAppid = this.#strings.get(platform)
    if (byAppid === undefined) {
      byAppid = new Map()
      this.#strings.set(platform, byAppid)
    }
    if (typeof appid === 'string') {
      const cached = byAppid.get(appid)
      if (cached !== undefined) return cached
    }
    const valid = segment(appid, 'appid')
    // Bounded so a stream of made-up appids cannot grow memory without limit.
    if (byAppid.size >= MAX_CACHED_APPIDS) byAppid.clear()
    const base = `uni-id:${platform}:${valid}:`
    const strings: AppKeyStrings = {
      appid: valid,
      accessToken: `${base}access-token`,
      ticket: `${base}ticket`,
      wxCardTicket: `${base}ticket-wx_card`,
      userPrefix: base,
    }
    byAppid.set(valid, strings)
    return strings
  }
}

/** A key segment: a non-empty string without `:`, so storage keys stay unambiguous. */
function segment(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new BridgeError('E_INVALID_KEY', `key.${field} must be a non-empty string, got ${describeType(value)}`, {
      field: `key.${field}`,
    })
  }
  if (value.includes(':')) {
    throw new BridgeError('E_INVALID_KEY', `key.${field} must not contain ':'`, { field: `key.${field}` })
  }
  return value
}

function version(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BridgeError('E_INVALID_KEY', `key.version must be an integer ≥ 1, got ${describeType(value)}`, {
      field: 'key.version',
    })
  }
  return value
}

/** jsapi tickets keep uni-open-bridge's `ticket` name; wx_card tickets are stored beside them (`ticket-wx_card`). */
function badTicketType(): never {
  throw new BridgeError('E_INVALID_KEY', `key.ticketType must be 'jsapi' or 'wx_card'`, { field: 'key.ticketType' })
}
