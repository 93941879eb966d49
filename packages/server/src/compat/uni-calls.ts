import {
  BridgeError,
  isBridgeError,
  type AppKey,
  type CredentialBridge,
  type CredentialKind,
  type EncryptKeyKey,
  type EncryptKeyValue,
  type Fallback,
  type TicketKey,
  type UserKey,
} from '@open-bridge/core'
import { newestEncryptKey } from '@open-bridge/wechat-fetchers'
import { currentKey } from './legacy-key.js'

/** An encrypt-key key whose `version` may be missing: then the newest key is meant (see `getEncryptKey`). */
export type UniEncryptKeyKey = UserKey & { version?: number | undefined }

/** uni-open-bridge-common's functions over one bridge, taking what the original took (see `uniCalls`). */
export interface UniCalls {
  getAccessToken: CredentialBridge['getAccessToken']
  setAccessToken: CredentialBridge['setAccessToken']
  removeAccessToken: CredentialBridge['removeAccessToken']
  refreshAccessToken: CredentialBridge['refreshAccessToken']
  getUserAccessToken: CredentialBridge['getUserAccessToken']
  setUserAccessToken: CredentialBridge['setUserAccessToken']
  removeUserAccessToken: CredentialBridge['removeUserAccessToken']
  refreshUserAccessToken: CredentialBridge['refreshUserAccessToken']
  getSessionKey: CredentialBridge['getSessionKey']
  setSessionKey: CredentialBridge['setSessionKey']
  removeSessionKey: CredentialBridge['removeSessionKey']
  getEncryptKey(
    key: UniEncryptKeyKey,
    fallback?: Fallback<'encrypt_key', UniEncryptKeyKey & { appid?: string }>,
  ): Promise<EncryptKeyValue | null>
  setEncryptKey(key: UniEncryptKeyKey, value: EncryptKeyValue, expiresIn?: number): Promise<void>
  removeEncryptKey(key: UniEncryptKeyKey): Promise<void>
  refreshEncryptKey: CredentialBridge['refreshEncryptKey']
  getTicket: CredentialBridge['getTicket']
  setTicket: CredentialBridge['setTicket']
  removeTicket: CredentialBridge['removeTicket']
  refreshTicket: CredentialBridge['refreshTicket']
  /** 1.2.x: fetch a new access_token from the platform now and store it (here: a refresh of the stored one). */
  updateAccessToken(key: AppKey): Promise<void>
  /** 1.2.x: fetch the encrypt_key of `key.version` again and store it. */
  updateEncryptKey(key: UniEncryptKeyKey): Promise<void>
  /** 1.2.x: fetch a new JS-SDK ticket and store it. */
  updateTicket(key: TicketKey): Promise<void>
  /** The first cloud object's name for the mini-program session_key (`getUserKey` → `getSessionKey`). */
  getUserKey: CredentialBridge['getSessionKey']
  setUserKey: CredentialBridge['setSessionKey']
  removeUserKey: CredentialBridge['removeSessionKey']
}

/** The method names of `UniCalls`. */
export type UniMethod = keyof UniCalls

const USER_KINDS: ReadonlySet<CredentialKind> = new Set(['user_access_token', 'session_key', 'encrypt_key'])
/** How many apps / users the per-bridge memos below hold before they start over. */
const MEMO_LIMIT = 10_000

type AnyKey = Record<string, unknown>
type Call = (...args: never[]) => Promise<unknown>

/**
 * uni-open-bridge-common's functions over `bridge`, accepting what the original accepted (its code, 1.0.3 to
 * 1.2.1, and the first cloud object's names):
 *
 * - `provider` as the platform (1.1.1 on) and the older platform spellings (`mp-weixin`, `h5-weixin`, …);
 * - `expiresIn: 0` skips the write (`Storage.set`: `if (expires_in !== 0)`), except for an encrypt key, which the
 *   original stored for 60 s (`Encryptkey.getExpiresIn`: `value <= 0 → 60`);
 * - user credentials (user access_token, session_key, encrypt_key) of a dcloudAppid / platform that no app
 *   configures are stored and read under `uni-id:<platform>:<dcloudAppid>:<openid>:…`, as 1.0.x stored any key
 *   (1.1 on refused it: `appid or provider invalid`); fetching one still needs the app (`E_APP_NOT_CONFIGURED`);
 * - `getEncryptKey` without `version` is the newest key (see the method), `setEncryptKey` without `version` takes
 *   the value's own `version`;
 * - `update*` (1.2.x) and `getUserKey` / `setUserKey` / `removeUserKey` (cloud object 1.0.0).
 *
 * Everything else is the bridge's: the same keys, values, errors and coordination. Used by
 * `@open-bridge/uni-open-bridge-common` and by the server's HTTP routes, so both take the same inputs.
 */
export function uniCalls(bridge: CredentialBridge): UniCalls {
  return uniCompatOf(bridge).calls
}

const compats = new WeakMap<CredentialBridge, UniCompat>()

/** The one `UniCompat` of a bridge (its memos are shared by the library functions and the HTTP routes). */
export function uniCompatOf(bridge: CredentialBridge): UniCompat {
  let compat = compats.get(bridge)
  if (compat === undefined) {
    compat = new UniCompat(bridge)
    compats.set(bridge, compat)
  }
  return compat
}

export class UniCompat {
  readonly #bridge: CredentialBridge
  /** `platform\0dcloudAppid` → whether the bridge configures that app (apps never change after createBridge). */
  readonly #known = new Map<string, boolean>()
  /** A user's newest encrypt_key version and until when it lives: `getEncryptKey` without a version reads it. */
  readonly #newest = new Map<string, { version: number; until: number }>()

  readonly calls: UniCalls

  constructor(bridge: CredentialBridge) {
    this.#bridge = bridge
    this.calls = this.#build()
  }

  /** A caller's key in today's terms, as the calls read it (for the HTTP layer's expiry header). */
  key(kind: CredentialKind, key: unknown): unknown {
    return this.#userKey(kind, currentKey(key))
  }

  #build(): UniCalls {
    const b = this.#bridge
    const app = (key: unknown) => currentKey(key) as never
    const user = (kind: CredentialKind, key: unknown) => this.#userKey(kind, currentKey(key)) as never
    const calls: Record<string, Call> = {
      getAccessToken: (key: unknown, fallback?: unknown) =>
        read(fallback, (f) => b.getAccessToken(app(key), f as never)),
      setAccessToken: (key: unknown, value: unknown, expiresIn?: unknown) =>
        this.#set('access_token', app(key), value, expiresIn),
      removeAccessToken: (key: unknown) => b.removeAccessToken(app(key)),
      refreshAccessToken: (key: unknown, options?: unknown) => b.refreshAccessToken(app(key), options as never),
      updateAccessToken: (key: unknown) => b.refreshAccessToken(app(key)).then(toVoid),

      getUserAccessToken: (key: unknown, fallback?: unknown) =>
        read(fallback, (f) => b.getUserAccessToken(user('user_access_token', key), f as never)),
      setUserAccessToken: (key: unknown, value: unknown, expiresIn?: unknown) =>
        this.#set('user_access_token', user('user_access_token', key), value, expiresIn),
      removeUserAccessToken: (key: unknown) => b.removeUserAccessToken(user('user_access_token', key)),
      refreshUserAccessToken: (key: unknown, options?: unknown) =>
        b.refreshUserAccessToken(user('user_access_token', key), options as never),

      getSessionKey: (key: unknown, fallback?: unknown) =>
        read(fallback, (f) => b.getSessionKey(user('session_key', key), f as never)),
      setSessionKey: (key: unknown, value: unknown, expiresIn?: unknown) =>
        this.#set('session_key', user('session_key', key), value, expiresIn),
      removeSessionKey: (key: unknown) => b.removeSessionKey(user('session_key', key)),

      getEncryptKey: (key: unknown, fallback?: unknown) =>
        this.#getEncryptKey(user('encrypt_key', key), fallback as Fallback<'encrypt_key', EncryptKeyKey> | undefined),
      setEncryptKey: (key: unknown, value: unknown, expiresIn?: unknown) =>
        this.#setEncryptKey(user('encrypt_key', key), value, expiresIn),
      removeEncryptKey: (key: unknown) => this.#removeEncryptKey(user('encrypt_key', key)),
      refreshEncryptKey: (key: unknown, options?: unknown) =>
        b.refreshEncryptKey(user('encrypt_key', key), options as never),
      updateEncryptKey: (key: unknown) => b.refreshEncryptKey(user('encrypt_key', key)).then(toVoid),

      getTicket: (key: unknown, fallback?: unknown) => read(fallback, (f) => b.getTicket(app(key), f as never)),
      setTicket: (key: unknown, value: unknown, expiresIn?: unknown) => this.#set('ticket', app(key), value, expiresIn),
      removeTicket: (key: unknown) => b.removeTicket(app(key)),
      refreshTicket: (key: unknown, options?: unknown) => b.refreshTicket(app(key), options as never),
      updateTicket: (key: unknown) => b.refreshTicket(app(key)).then(toVoid),
    }
    calls.getUserKey = calls.getSessionKey!
    calls.setUserKey = calls.setSessionKey!
    calls.removeUserKey = calls.removeSessionKey!
    for (const [name, call] of Object.entries(calls)) Object.defineProperty(call, 'name', { value: name })
    return calls as unknown as UniCalls
  }

  /** The key a user credential is stored under: its app's, or `appid: dcloudAppid` when no app is configured. */
  #userKey(kind: CredentialKind, key: unknown): unknown {
    if (!USER_KINDS.has(kind) || typeof key !== 'object' || key === null) return key
    let k = key as AnyKey
    // The original built `encrypt-key-${key.version}`: "1" and 1 named the same key.
    if (kind === 'encrypt_key' && typeof k.version === 'string' && /^[1-9][0-9]{0,8}$/.test(k.version)) {
      k = { ...k, version: Number(k.version) }
      key = k
    }
    if (k.appid !== undefined || typeof k.dcloudAppid !== 'string' || typeof k.platform !== 'string') return key
    const id = `${k.platform}\0${k.dcloudAppid}`
    let known = this.#known.get(id)
    if (known === undefined) {
      known = this.#configures(k.dcloudAppid, k.platform)
      if (this.#known.size >= MEMO_LIMIT) this.#known.clear()
      this.#known.set(id, known)
    }
    return known ? key : { ...k, appid: k.dcloudAppid }
  }

  #configures(dcloudAppid: string, platform: string): boolean {
    try {
      this.#bridge.resolve('access_token', { dcloudAppid, platform } as never)
      return true
    } catch (error) {
      // Only an unknown app is stored under the dcloudAppid; any other fault is the bridge's to report.
      return !isBridgeError(error, 'E_UNKNOWN_APP')
    }
  }

  /** `set*` as the original: `expiresIn: 0` writes nothing (the key is still checked). */
  #set(kind: CredentialKind, key: never, value: unknown, expiresIn: unknown): Promise<void> {
    if (expiresIn === 0) {
      try {
        this.#bridge.resolve(kind, key)
      } catch (error) {
        return Promise.reject(error)
      }
      return Promise.resolve()
    }
    return this.#bridge.set(kind, key, value as never, expiresIn as number | undefined)
  }

  async #getEncryptKey(
    key: AnyKey,
    fallback: Fallback<'encrypt_key', EncryptKeyKey> | undefined,
  ): Promise<EncryptKeyValue | null> {
    const b = this.#bridge
    if (key.version !== undefined)
      return read(fallback, (f) => b.getEncryptKey(key as never, f as never)) as Promise<EncryptKeyValue | null>
    b.resolve('session_key', key as never) // the other fields, checked as every read checks them
    const id = userId(key)
    const seen = this.#newest.get(id)
    if (seen !== undefined && seen.until > Date.now()) {
      const value = await b.getEncryptKey({ ...key, version: seen.version } as never)
      if (value !== null) return value
    }
    this.#newest.delete(id)
    if (fallback !== undefined) {
      // As the original: the caller's fallback answers a versionless read. Kept when its value says its version.
      const result = await fallback(key as never, {
        reason: 'miss',
        previous: undefined,
        signal: new AbortController().signal,
      })
      if (result === null || result === undefined || result.value === null || result.value === undefined) return null
      const version = result.value.version
      // The original kept a fallback's value only with a duration (`CacheKey.get`: `duration !== undefined`).
      if (typeof version === 'number' && Number.isInteger(version) && version >= 1 && result.duration !== undefined) {
        await b.setEncryptKey({ ...key, version } as never, result.value, result.duration)
        this.#remember(id, version, result.duration)
      }
      return result.value
    }
    const newest = await newestEncryptKey(b, key as never)
    if (newest === null) return null
    this.#remember(id, newest.version, newest.expiresIn)
    return newest.value
  }

  #setEncryptKey(key: AnyKey, value: unknown, expiresIn: unknown): Promise<void> {
    // The original stored an encrypt key for 60 s when expiresIn was 0 (or negative); here 0 only (-1 stays never).
    const life = expiresIn === 0 ? 60 : expiresIn
    if (key.version !== undefined) return this.#set('encrypt_key', key as never, value, life)
    const version = (value as { version?: unknown } | null)?.version
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
      return Promise.reject(
        new BridgeError(
          'E_INVALID_KEY',
          'key.version is required to store an encrypt_key whose value carries no integer version: nothing could read it back by version',
          { field: 'key.version' },
        ),
      )
    }
    return this.#set('encrypt_key', { ...key, version } as never, value, life).then(() =>
      this.#remember(userId(key), version, typeof life === 'number' ? life : -1),
    )
  }

  async #removeEncryptKey(key: AnyKey): Promise<void> {
    if (key.version !== undefined) return this.#bridge.removeEncryptKey(key as never)
    // A versionless remove drops the newest key this process knows of (the original removed its own
    // `encrypt-key-undefined` slot, which nothing else wrote).
    const id = userId(key)
    const seen = this.#newest.get(id)
    this.#newest.delete(id)
    if (seen !== undefined) await this.#bridge.removeEncryptKey({ ...key, version: seen.version } as never)
    else this.#bridge.resolve('session_key', key as never)
  }

  #remember(id: string, version: number, expiresIn: number): void {
    if (this.#newest.size >= MEMO_LIMIT) this.#newest.clear()
    const until = expiresIn === -1 ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000
    const known = this.#newest.get(id)
    if (known === undefined || known.version <= version) this.#newest.set(id, { version, until })
  }
}

type Read = (fallback: unknown) => Promise<unknown>

/**
 * A read with the caller's fallback as the original ran it (`CacheKey.get`): a result whose `value` is `null`
 * (its documented `{ value: null, duration }`) is a miss, and one without `duration` is answered but not kept.
 * A fallback that keeps to the bridge's contract goes through as it is; no fallback, no wrapping.
 */
function read(fallback: unknown, call: Read): Promise<unknown> {
  if (typeof fallback !== 'function') return call(fallback)
  let unkept: { value: unknown } | undefined
  const wrapped = async (...args: unknown[]) => {
    const result = (await (fallback as (...a: unknown[]) => unknown)(...args)) as
      | { value?: unknown; duration?: unknown }
      | null
      | undefined
    if (result === null || result === undefined || result.value === null || result.value === undefined) return null
    if (result.duration === undefined) {
      unkept = { value: result.value }
      return null
    }
    return result
  }
  return call(wrapped).then((value) => (value === null && unkept !== undefined ? unkept.value : value))
}

function userId(key: AnyKey): string {
  return `${String(key.platform)}\0${String(key.appid ?? '')}\0${String(key.dcloudAppid ?? '')}\0${String(key.openid)}`
}

function toVoid(): void {}
