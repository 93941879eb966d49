import { createSecretKey, type KeyObject } from 'node:crypto'
import { inspect } from 'node:util'
import { BridgeError, describeType } from './errors.js'

/**
 * One key of the keyring: `id` travels in every envelope it seals (not secret: letters, digits, `.`, `_`, `-`,
 * at most 64), `key` is 32 random bytes, as a base64 string (`openssl rand -base64 32`) or bytes.
 */
export interface EncryptionKey {
  readonly id: string
  readonly key: string | Uint8Array
}

/** Keys kept in a KMS or Vault: called at start, and again (bounded) when an envelope names an unknown key id. */
export type EncryptionKeyProvider = () => Promise<readonly EncryptionKey[]> | readonly EncryptionKey[]

/** The length of an AES-256 key. */
export const ENCRYPTION_KEY_BYTES = 32
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/
/** 32 bytes in base64 (standard or URL-safe alphabet, padding optional): 43 characters, then `=` or nothing. */
const BASE64_32 = /^[A-Za-z0-9+/_-]{43}=?$/
/** Default least time between two provider reloads caused by unknown key ids. */
export const DEFAULT_KEY_RELOAD_INTERVAL = 60_000

/**
 * The keys a keyring holds at one time (what `Keyring.keys()` resolves): the process's own key objects, for
 * `sealedStore`; they print no key material, but `KeyObject.export()` would — treat them as the keys they are.
 */
export interface LoadedKeys {
  /** The first key: every new envelope is sealed with it. */
  readonly sealId: string
  readonly sealKey: KeyObject
  readonly byId: ReadonlyMap<string, KeyObject>
}

/**
 * The keys a bridge seals and opens with. Key material lives only in `KeyObject`s held in private fields:
 * `util.inspect`, `JSON.stringify` and error messages show the key ids, nothing else.
 */
export class Keyring {
  #loaded: LoadedKeys | undefined
  #generation = 0
  readonly #provider: EncryptionKeyProvider | undefined
  readonly #reloadInterval: number
  #loading: Promise<LoadedKeys> | undefined
  /** When an unknown key id last caused a reload (the load at start does not count). */
  #lastReload = Number.NEGATIVE_INFINITY

  /** Use `createKeyring`. */
  constructor(keys: readonly EncryptionKey[] | EncryptionKeyProvider, reloadInterval: number, field: string) {
    this.#reloadInterval = reloadInterval
    if (typeof keys === 'function') {
      this.#provider = keys
    } else {
      this.#loaded = parseKeys(keys, field)
    }
  }

  /** Are keys at hand without waiting (a list, or a provider that has answered)? */
  get ready(): boolean {
    return this.#loaded !== undefined
  }

  /** Changes whenever the keys held change (a provider answered again): what was opened before may not open now. */
  get generation(): number {
    return this.#generation
  }

  /** Does a reload ever happen (a provider)? */
  get dynamic(): boolean {
    return this.#provider !== undefined
  }

  /** The ids held now, sealing key first (empty before a provider answered). */
  get ids(): string[] {
    return this.#loaded === undefined ? [] : [...this.#loaded.byId.keys()]
  }

  /** The keys, loading them from the provider first if it has not answered yet. */
  async keys(): Promise<LoadedKeys> {
    return this.#loaded ?? this.#load()
  }

  /** The keys when at hand, else `undefined` (the synchronous read path). */
  keysNow(): LoadedKeys | undefined {
    return this.#loaded
  }

  /**
   * `id` was not in the keyring: ask the provider again, unless it was asked less than `reloadInterval` ago (a
   * stream of records under a bogus id must not become a stream of KMS calls). Resolves whether `id` is now held.
   */
  async reloadFor(id: string): Promise<boolean> {
    if (this.#provider === undefined) return false
    if (this.#loading === undefined) {
      if (Date.now() - this.#lastReload < this.#reloadInterval) return false
      this.#lastReload = Date.now()
    }
    const loaded = await this.#load()
    return loaded.byId.has(id)
  }

  #load(): Promise<LoadedKeys> {
    if (this.#loading !== undefined) return this.#loading
    const provider = this.#provider!
    this.#loading = (async () => {
      let list: unknown
      try {
        list = await provider()
      } catch (error) {
        // Its name and code only: a provider's message may quote what it was handed (a Vault token, a key).
        const detail = typeof error === 'object' && error !== null ? (error as { name?: unknown; code?: unknown }) : {}
        const what = [detail.name, detail.code].filter((part) => typeof part === 'string').join(' ')
        throw new BridgeError('E_KEYS_UNAVAILABLE', `the encryption key provider failed (${what || typeof error})`, {
          field: 'encryption.keys',
        })
      }
      let loaded: LoadedKeys
      try {
        loaded = parseKeys(list, 'encryption.keys()')
      } catch (error) {
        throw new BridgeError(
          'E_KEYS_UNAVAILABLE',
          `the encryption key provider answered unusable keys: ${(error as Error).message}`,
          {
            field: 'encryption.keys',
          },
        )
      }
      this.#loaded = loaded
      this.#generation++
      return loaded
    })().finally(() => {
      this.#loading = undefined
    })
    return this.#loading
  }

  [inspect.custom](): string {
    return `Keyring { ids: [${this.ids.map((id) => JSON.stringify(id)).join(', ')}]${this.dynamic ? ', provider' : ''} }`
  }

  toJSON(): { ids: string[] } {
    return { ids: this.ids }
  }
}

/**
 * A keyring from a list (checked now: `E_INVALID_CONFIG` naming the field and the key id, never the key) or from
 * a provider (checked when it answers: `E_KEYS_UNAVAILABLE`). `field` names the option in errors.
 */
export function createKeyring(
  keys: readonly EncryptionKey[] | EncryptionKeyProvider,
  options: { reloadInterval?: number; field?: string } = {},
): Keyring {
  const field = options.field ?? 'encryption.keys'
  const interval = options.reloadInterval ?? DEFAULT_KEY_RELOAD_INTERVAL
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0) {
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `encryption.reloadInterval must be a number of milliseconds ≥ 0, got ${describeType(interval)}`,
      { field: 'encryption.reloadInterval' },
    )
  }
  if (typeof keys !== 'function' && !Array.isArray(keys)) {
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `${field} must be a non-empty array of { id, key } or a function that resolves one, got ${describeType(keys)}`,
      { field },
    )
  }
  return new Keyring(keys, interval, field)
}

function parseKeys(list: unknown, field: string): LoadedKeys {
  if (!Array.isArray(list) || list.length === 0) {
    throw new BridgeError('E_INVALID_CONFIG', `${field} must be a non-empty array of { id, key }`, { field })
  }
  const byId = new Map<string, KeyObject>()
  list.forEach((entry: unknown, i) => {
    const at = `${field}[${i}]`
    if (typeof entry !== 'object' || entry === null) {
      throw new BridgeError('E_INVALID_CONFIG', `${at} must be an object { id, key }, got ${describeType(entry)}`, {
        field: at,
      })
    }
    const { id, key } = entry as { id?: unknown; key?: unknown }
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      throw new BridgeError(
        'E_INVALID_CONFIG',
        `${at}.id must be 1 to 64 letters, digits, '.', '_' or '-', got ${typeof id === 'string' ? 'another string' : describeType(id)}`,
        { field: `${at}.id` },
      )
    }
    if (byId.has(id)) {
      throw new BridgeError('E_INVALID_CONFIG', `${at}.id: key id ${JSON.stringify(id)} is listed twice`, {
        field: `${at}.id`,
      })
    }
    byId.set(id, createSecretKey(keyBytes(key, id, `${at}.key`)))
  })
  const [sealId, sealKey] = [...byId][0]!
  return { sealId, sealKey, byId }
}

/** The 32 bytes of a key; the error names the key id and the field, and never quotes what was given. */
function keyBytes(key: unknown, id: string, field: string): Buffer {
  const wrong = (what: string) =>
    new BridgeError(
      'E_INVALID_CONFIG',
      `${field} (key id ${JSON.stringify(id)}) must be ${ENCRYPTION_KEY_BYTES} bytes, as base64 or bytes: ${what}`,
      { field },
    )
  if (typeof key === 'string') {
    if (!BASE64_32.test(key)) throw wrong(`got a string of ${key.length} characters that is not 32 bytes of base64`)
    return Buffer.from(key.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  }
  if (key instanceof Uint8Array) {
    if (key.length !== ENCRYPTION_KEY_BYTES) throw wrong(`got ${key.length} bytes`)
    return Buffer.from(key)
  }
  throw wrong(`got ${describeType(key)}`)
}
