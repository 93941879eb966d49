import { AppRegistry, type AppConfig } from './apps.js'
import type {
  AccessTokenValue,
  AppKey,
  CredentialKeys,
  CredentialKind,
  CredentialValues,
  EncryptKeyKey,
  ResolvedKey,
  EncryptKeyValue,
  SessionKeyValue,
  TicketKey,
  TicketValue,
  UserAccessTokenValue,
  UserKey,
} from './credentials.js'
import { BridgeError, describeType } from './errors.js'
import { EventHub, type BridgeEventName, type BridgeListener } from './events.js'
import { assertCredentialValue, expiresAtFrom } from './expiry.js'
import { KeyResolver } from './keys.js'
import { SingleFlight } from './single-flight.js'
import type { CredentialSource, Fallback, SourceContext } from './source.js'
import type { CredentialStore, StoredRecord } from './store.js'
import { TierChain, type PeekMiss } from './tier-chain.js'

export interface BridgeOptions {
  /** Storage tiers, nearest first, e.g. `[memoryStore(), redisStore(…), sqliteStore(…)]`. */
  stores: CredentialStore[]
  /** The apps keys may name by `dcloudAppid`; sources read their secrets from here. */
  apps?: AppConfig[]
  /** Where a miss goes when the call brings no fallback: WeChat fetchers, a central bridge, … */
  source?: CredentialSource
}

/**
 * The credential API: uni-open-bridge-common's fifteen methods, plus generic `get` / `set` / `remove`.
 * Create one with `createBridge`.
 */
export class CredentialBridge {
  readonly #keys: KeyResolver
  readonly #apps: AppRegistry
  readonly #chain: TierChain
  readonly #events = new EventHub()
  readonly #flight = new SingleFlight<CredentialValues[CredentialKind] | null>()
  readonly #source: CredentialSource | undefined
  #closed = false

  constructor(options: BridgeOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new BridgeError('E_INVALID_CONFIG', `createBridge options must be an object, got ${describeType(options)}`, { field: 'options' })
    }
    const { stores, source } = options
    if (!Array.isArray(stores) || stores.length === 0) {
      throw new BridgeError('E_INVALID_CONFIG', 'stores must be a non-empty array of tiers, nearest first', { field: 'stores' })
    }
    stores.forEach((store, i) => {
      if (typeof store !== 'object' || store === null || typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.delete !== 'function' || typeof store.close !== 'function') {
        throw new BridgeError('E_INVALID_CONFIG', `stores[${i}] is not a store (it needs get, set, delete and close)`, { field: `stores[${i}]` })
      }
    })
    if (source !== undefined && (typeof source !== 'object' || source === null || typeof source.fetch !== 'function')) {
      throw new BridgeError('E_INVALID_CONFIG', 'source must have a fetch(kind, key, ctx) method', { field: 'source' })
    }
    this.#apps = new AppRegistry(options.apps ?? [])
    this.#keys = new KeyResolver(this.#apps)
    this.#chain = new TierChain([...stores], this.#events)
    this.#source = source
  }

  // ── uni-open-bridge-common's API ────────────────────────────────────────────────────────────────

  getAccessToken(key: AppKey, fallback?: Fallback<'access_token', AppKey>): Promise<AccessTokenValue | null> {
    return this.get('access_token', key, fallback)
  }
  setAccessToken(key: AppKey, value: AccessTokenValue, expiresIn?: number): Promise<void> {
    return this.set('access_token', key, value, expiresIn)
  }
  removeAccessToken(key: AppKey): Promise<void> {
    return this.remove('access_token', key)
  }

  getUserAccessToken(key: UserKey, fallback?: Fallback<'user_access_token', UserKey>): Promise<UserAccessTokenValue | null> {
    return this.get('user_access_token', key, fallback)
  }
  setUserAccessToken(key: UserKey, value: UserAccessTokenValue, expiresIn?: number): Promise<void> {
    return this.set('user_access_token', key, value, expiresIn)
  }
  removeUserAccessToken(key: UserKey): Promise<void> {
    return this.remove('user_access_token', key)
  }

  getSessionKey(key: UserKey, fallback?: Fallback<'session_key', UserKey>): Promise<SessionKeyValue | null> {
    return this.get('session_key', key, fallback)
  }
  setSessionKey(key: UserKey, value: SessionKeyValue, expiresIn?: number): Promise<void> {
    return this.set('session_key', key, value, expiresIn)
  }
  removeSessionKey(key: UserKey): Promise<void> {
    return this.remove('session_key', key)
  }

  getEncryptKey(key: EncryptKeyKey, fallback?: Fallback<'encrypt_key', EncryptKeyKey>): Promise<EncryptKeyValue | null> {
    return this.get('encrypt_key', key, fallback)
  }
  setEncryptKey(key: EncryptKeyKey, value: EncryptKeyValue, expiresIn?: number): Promise<void> {
    return this.set('encrypt_key', key, value, expiresIn)
  }
  removeEncryptKey(key: EncryptKeyKey): Promise<void> {
    return this.remove('encrypt_key', key)
  }

  getTicket(key: TicketKey, fallback?: Fallback<'ticket', TicketKey>): Promise<TicketValue | null> {
    return this.get('ticket', key, fallback)
  }
  setTicket(key: TicketKey, value: TicketValue, expiresIn?: number): Promise<void> {
    return this.set('ticket', key, value, expiresIn)
  }
  removeTicket(key: TicketKey): Promise<void> {
    return this.remove('ticket', key)
  }

  // ── generic API ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Reads a credential: the nearest live copy, else the fallback (or the source), whose result is written
   * to every tier. Concurrent misses of one key share one fallback/source call. Resolves `null` when
   * nothing is stored and nothing produced a value. Values are shared and frozen: copy before changing.
   */
  get<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    fallback?: Fallback<K, CredentialKeys[K]>,
  ): Promise<CredentialValues[K] | null> {
    // Not `async`: a memory hit resolves without a second promise. Errors still arrive as rejections.
    let storageKey: string
    try {
      if (this.#closed) throw closedError()
      storageKey = this.#keys.storageKey(kind, key)
    } catch (error) {
      return Promise.reject(error)
    }
    const peeked = this.#chain.peek(storageKey)
    if (typeof peeked === 'object') return Promise.resolve(peeked.value as CredentialValues[K])
    return this.#readThrough(kind, key, storageKey, fallback, peeked)
  }

  /** Writes a credential to every tier. `expiresIn` in seconds; `-1` or omitted = never expires. */
  async set<K extends CredentialKind>(kind: K, key: CredentialKeys[K], value: CredentialValues[K], expiresIn?: number): Promise<void> {
    if (this.#closed) throw closedError()
    const storageKey = this.#keys.storageKey(kind, key)
    assertCredentialValue(value, 'value')
    const record: StoredRecord = { value, expiresAt: expiresAtFrom(expiresIn, 'expiresIn') }
    await this.#chain.write(storageKey, record, true)
  }

  /** Deletes a credential from every tier. */
  async remove<K extends CredentialKind>(kind: K, key: CredentialKeys[K]): Promise<void> {
    if (this.#closed) throw closedError()
    await this.#chain.delete(this.#keys.storageKey(kind, key))
  }

  // ── for helpers that work beside a source ───────────────────────────────────────────────────────

  /** The source misses go to, if any (helpers such as code2Session find their platform client here). */
  get source(): CredentialSource | undefined {
    return this.#source
  }

  /**
   * Validates a key and resolves it as a source would see it: the storage key, the platform appid and the
   * configured app (with its secret). For helpers that call the platform beside the bridge.
   * Throws the same `BridgeError`s as `get`.
   */
  resolve<K extends CredentialKind>(kind: K, key: CredentialKeys[K]): { key: ResolvedKey<K>; ctx: SourceContext } {
    if (this.#closed) throw closedError()
    const resolved = this.#keys.resolve(kind, key, this.#keys.storageKey(kind, key))
    return { key: resolved, ctx: { app: this.#apps.byAppid(resolved.platform, resolved.appid), bridge: this } }
  }

  // ── events and lifecycle ────────────────────────────────────────────────────────────────────────

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends BridgeEventName>(event: E, listener: BridgeListener<E>): () => void {
    return this.#events.on(event, listener)
  }
  off<E extends BridgeEventName>(event: E, listener: BridgeListener<E>): void {
    this.#events.off(event, listener)
  }

  /** Closes every tier and the source. Further calls fail with `E_CLOSED`. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([this.#chain.close(), this.#source?.close?.()])
  }

  // ── the miss path ───────────────────────────────────────────────────────────────────────────────

  #readThrough<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    storageKey: string,
    fallback: Fallback<K, CredentialKeys[K]> | undefined,
    peeked: PeekMiss | undefined,
  ): Promise<CredentialValues[K] | null> {
    // `.then` rather than `async`: a hit in a network tier is a hot path too, and a frame less is cheaper.
    return this.#chain.read(storageKey, peeked).then((read) =>
      read.record !== undefined ? (read.record.value as CredentialValues[K]) : this.#miss(kind, key, storageKey, fallback, read.answered),
    )
  }

  #miss<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    storageKey: string,
    fallback: Fallback<K, CredentialKeys[K]> | undefined,
    answered: boolean,
  ): Promise<CredentialValues[K] | null> {
    if (fallback === undefined && this.#source === undefined) {
      return answered ? Promise.resolve(null) : Promise.reject(unavailableError(this.#chain.names))
    }
    // Only the fill is single-flighted: hits stay one tier read each.
    return this.#flight.run(storageKey, () => this.#fill(kind, key, storageKey, fallback)) as Promise<CredentialValues[K] | null>
  }

  async #fill<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    storageKey: string,
    fallback: Fallback<K, CredentialKeys[K]> | undefined,
  ): Promise<CredentialValues[K] | null> {
    // A flight that settled a moment ago may already have written the value.
    const again = await this.#chain.read(storageKey)
    if (again.record !== undefined) return again.record.value as CredentialValues[K]

    const by = fallback ? 'fallback' : 'source'
    const started = performance.now()
    let record: StoredRecord | null
    try {
      const produced: unknown = fallback ? await fallback(key) : await this.#fetchFromSource(kind, key)
      record = toRecord(produced, by)
    } catch (error) {
      if (this.#events.has('fetch-error')) {
        this.#events.emit('fetch-error', { kind, storageKey, by, durationMs: performance.now() - started, error })
      }
      throw error
    }
    if (this.#events.has('fetch')) this.#events.emit('fetch', { kind, storageKey, by, durationMs: performance.now() - started })
    if (record === null) return null
    // The caller gets its credential even if no tier could keep it; failed tiers were reported as events.
    await this.#chain.write(storageKey, record, false)
    return record.value as CredentialValues[K]
  }

  #fetchFromSource<K extends CredentialKind>(kind: K, key: CredentialKeys[K]): Promise<unknown> {
    const { key: resolved, ctx } = this.resolve(kind, key)
    return this.#source!.fetch(kind, resolved, ctx)
  }
}

/**
 * Checks what a fallback (`{ value, duration }`) or a source (`{ value, expiresIn }`) produced and turns it
 * into a record; `null`/`undefined` mean "nothing to store".
 */
function toRecord(produced: unknown, by: 'fallback' | 'source'): StoredRecord | null {
  if (produced === null || produced === undefined) return null
  const call = by === 'fallback' ? 'fallback()' : 'source.fetch()'
  const lifeField = by === 'fallback' ? 'duration' : 'expiresIn'
  if (typeof produced !== 'object') {
    throw new BridgeError('E_INVALID_VALUE', `${call} must resolve { value, ${lifeField} } or null, got ${describeType(produced)}`, { field: call })
  }
  const result = produced as Record<string, unknown>
  assertCredentialValue(result.value, `${call}.value`)
  return { value: result.value, expiresAt: expiresAtFrom(result[lifeField], `${call}.${lifeField}`) }
}

/** Creates a bridge. See `BridgeOptions`. */
export function createBridge(options: BridgeOptions): CredentialBridge {
  return new CredentialBridge(options)
}

function closedError(): BridgeError {
  return new BridgeError('E_CLOSED', 'the bridge is closed')
}

function unavailableError(tiers: string[]): BridgeError {
  return new BridgeError('E_STORE_UNAVAILABLE', `every tier failed to answer (tiers: ${tiers.join(', ')}) and there is no fallback or source`)
}
