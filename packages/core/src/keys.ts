import type { AppRegistry } from './apps.js'
import {
  CREDENTIAL_FIELDS,
  CREDENTIAL_KINDS,
  PLATFORMS,
  type CredentialKind,
  type Platform,
  type ResolvedKey,
  type TicketType,
} from './credentials.js'
import { BridgeError, describeType } from './errors.js'
import { quoteValue } from './quote-value.js'
import { KEY_CACHE_GENERATION } from './key-cache-generation.js'
import { KindKeyCache } from './kind-key-cache.js'
import { type RegisteredKind, type ResolvedKindKey, registeredKind, resolveKindKey } from './kind-registry.js'

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
export interface AppKeyStrings {
  readonly platform: Platform
  readonly appid: string
  readonly accessToken: string
  readonly ticket: string
  readonly wxCardTicket: string
  /** `uni-id:<platform>:<appid>:`, to which user kinds add `<openid>:<type>`. */
  readonly userPrefix: string
}

export { KEY_CACHE_GENERATION }

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
  /**
   * The string cache of each platform, every platform's made up front: one lookup both checks `key.platform` and
   * finds its cache (a `Map` answers `undefined` for anything not a platform, a non-string included).
   */
  readonly #strings = new Map<unknown, AppStringCache>(PLATFORMS.map((platform) => [platform, new AppStringCache()]))
  /**
   * The strings of each appid on the first platform it was read on, whatever the platform: a hit by `{ appid,
   * platform }` is one lookup and one comparison of the platform (an appid belongs to one platform in practice; one
   * read on another platform too is served by `#strings`).
   */
  readonly #byAppid = new AppStringCache()
  /** The storage-key cache of each registered kind this bridge has served (see `KindKeyCache`). */
  readonly #kinds = new Map<string, KindKeyCache>()

  constructor(apps: AppRegistry) {
    this.#apps = apps
  }

  storageKey(kind: CredentialKind | string, key: unknown): string {
    // The hit of the app-level kinds by appid, kept small so it is inlined into `get`: strings built before, found
    // by the appid the caller holds; anything else (a first sight, a check to make, an error) takes `#resolveKey`.
    if (typeof key === 'object' && key !== null) {
      const k = key as KeyFields
      const appid = k.appid
      if (typeof appid === 'string' && k.dcloudAppid === undefined) {
        const strings = this.#byAppid.get(appid)
        if (strings !== undefined && strings.platform === k.platform) {
          if (kind === 'access_token') return strings.accessToken
          if (kind === 'ticket' && k.ticketType === undefined) return strings.ticket
        }
      }
    }
    return this.#resolveKey(kind, key)
  }

  #resolveKey(kind: CredentialKind | string, key: unknown): string {
    if (typeof key !== 'object' || key === null) {
      throw new BridgeError('E_INVALID_KEY', `key must be an object, got ${describeType(key)}`, { field: 'key' })
    }
    const k = key as KeyFields
    const cache = this.#strings.get(k.platform)
    if (cache === undefined) {
      // A registered kind's key need not name a platform; only then is the registry asked (never on a built-in hit).
      const registered = registeredKind(kind)
      if (registered !== undefined) return this.kindKeys(registered).storageKey(key)
      if (!Object.hasOwn(CREDENTIAL_FIELDS, kind)) throw unknownKind()
      throw new BridgeError('E_INVALID_KEY', `key.platform must be one of ${PLATFORMS.join(', ')}`, {
        field: 'key.platform',
      })
    }
    switch (kind) {
      case 'access_token':
        return this.#appStrings(k, cache).accessToken
      case 'ticket': {
        const app = this.#appStrings(k, cache)
        return k.ticketType === undefined || k.ticketType === 'jsapi'
          ? app.ticket
          : k.ticketType === 'wx_card'
            ? app.wxCardTicket
            : badTicketType()
      }
      case 'user_access_token':
        return `${this.#appStrings(k, cache).userPrefix}${segment(k.openid, 'openid')}:user-access-token`
      case 'session_key':
        return `${this.#appStrings(k, cache).userPrefix}${segment(k.openid, 'openid')}:session-key`
      case 'user_refresh_token':
        return `${this.#appStrings(k, cache).userPrefix}${segment(k.openid, 'openid')}:user-refresh-token`
      case 'encrypt_key':
        return `${this.#appStrings(k, cache).userPrefix}${segment(k.openid, 'openid')}:encrypt-key-${version(k.version)}`
      default: {
        const registered = registeredKind(kind)
        if (registered !== undefined) return this.kindKeys(registered).storageKey(key)
        throw unknownKind()
      }
    }
  }

  /** The storage-key cache of a registered kind, made on first use: `bridge.credential(kind)` holds it. */
  kindKeys(registered: RegisteredKind): KindKeyCache {
    const name = registered.definition.name
    let cache = this.#kinds.get(name)
    if (cache === undefined) {
      cache = new KindKeyCache(registered)
      this.#kinds.set(name, cache)
    }
    return cache
  }

  /** What a source receives for a registered kind: the checked key fields, the kind and the storage key. */
  resolveRegistered(registered: RegisteredKind, key: unknown, storageKey: string): ResolvedKindKey {
    return Object.freeze({ ...resolveKindKey(registered, key).fields, kind: registered.definition.name, storageKey })
  }

  /** The full description sources receive; `key` must already have passed `storageKey`. */
  resolve<K extends CredentialKind>(kind: K, key: unknown, storageKey: string): ResolvedKey<K> {
    const k = key as KeyFields
    const platform = k.platform as Platform
    return {
      kind,
      platform,
      appid: this.#appStrings(k, this.#strings.get(platform)!).appid,
      dcloudAppid: typeof k.dcloudAppid === 'string' ? k.dcloudAppid : undefined,
      openid: USER_KINDS.has(kind) ? (k.openid as string) : undefined,
      version: kind === 'encrypt_key' ? (k.version as number) : undefined,
      ticketType: kind === 'ticket' ? ((k.ticketType as TicketType | undefined) ?? 'jsapi') : undefined,
      storageKey,
    }
  }

  #appStrings(k: KeyFields, cache: AppStringCache): AppKeyStrings {
    const appid = k.appid
    if (appid !== undefined) {
      if (k.dcloudAppid === undefined && typeof appid === 'string') {
        // The hit: one lookup of a string the caller holds.
        const hit = cache.get(appid)
        if (hit !== undefined) return hit
      }
      const platform = k.platform as Platform
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
      return this.#stringsFor(platform, cache, appid)
    }
    const platform = k.platform as Platform
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
    return this.#stringsFor(platform, cache, app.appid)
  }

  /** The cached strings of an appid; the appid is validated when they are first built. */
  #stringsFor(platform: Platform, cache: AppStringCache, appid: unknown): AppKeyStrings {
    if (typeof appid === 'string') {
      const cached = cache.get(appid)
      if (cached !== undefined) {
        if (this.#byAppid.get(appid) === undefined) this.#byAppid.add(appid, cached)
        return cached
      }
    }
    const valid = segment(appid, 'appid')
    const base = `uni-id:${platform}:${valid}:`
    const strings: AppKeyStrings = {
      platform,
      appid: valid,
      accessToken: `${base}access-token`,
      ticket: `${base}ticket`,
      wxCardTicket: `${base}ticket-wx_card`,
      userPrefix: base,
    }
    cache.add(valid, strings)
    if (this.#byAppid.get(valid) === undefined) this.#byAppid.add(valid, strings)
    return strings
  }
}

/**
 * The per-platform string cache, in two generations (see `KEY_CACHE_GENERATION`): a hit in the current one is one
 * Map lookup; a hit in the previous one moves the entry to the current one; a full current generation becomes the
 * previous one (the old previous is dropped). Bounded, and a stream of made-up appids only ever pushes out appids
 * that were not read for a whole generation.
 */
export class AppStringCache {
  #current = new Map<string, AppKeyStrings>()
  #previous = new Map<string, AppKeyStrings>()
  readonly #generation: number

  constructor(generation: number = KEY_CACHE_GENERATION) {
    this.#generation = generation
  }

  get size(): number {
    return this.#current.size + this.#previous.size
  }

  get(appid: string): AppKeyStrings | undefined {
    const hit = this.#current.get(appid)
    if (hit !== undefined) return hit
    const old = this.#previous.get(appid)
    if (old !== undefined) {
      this.#previous.delete(appid)
      this.add(appid, old)
    }
    return old
  }

  add(appid: string, strings: AppKeyStrings): void {
    if (this.#current.size >= this.#generation) {
      this.#previous = this.#current
      this.#current = new Map()
    }
    this.#current.set(appid, strings)
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

function unknownKind(): BridgeError {
  return new BridgeError('E_INVALID_KEY', `kind must be one of ${CREDENTIAL_KINDS.join(', ')} or a registered kind`, {
    field: 'kind',
  })
}

/** jsapi tickets keep uni-open-bridge's `ticket` name; wx_card tickets are stored beside them (`ticket-wx_card`). */
function badTicketType(): never {
  throw new BridgeError('E_INVALID_KEY', `key.ticketType must be 'jsapi' or 'wx_card'`, { field: 'key.ticketType' })
}
