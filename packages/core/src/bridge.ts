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
import { resolveCoordination, type CoordinationOptions } from './coordination-options.js'
import { CREDENTIAL_KINDS, credentialString } from './credentials.js'
import { explainUnknownApp, recordOf, type CredentialRecord } from './credential-record.js'
import { sealTiers, type EncryptionOptions } from './encryption-options.js'
import { BridgeError, describeType } from './errors.js'
import { EventHub, type BridgeEventName, type BridgeListener, type RefreshReason } from './events.js'
import { assertCredentialValue, expiresAtFrom } from './expiry.js'
import { FailureMemory } from './failure-memory.js'
import { KeyGenerations } from './key-generations.js'
import type { CredentialHandle } from './credential-handle.js'
import { KeyResolver } from './keys.js'
import type { KindKeyCache } from './kind-key-cache.js'
import { type CredentialKindDefinition, type RegisteredKind, registerKind, registeredKind } from './kind-registry.js'
import { RefreshAheadPolicy } from './refresh-ahead.js'
import { RefreshCoordinator, type FillRequest } from './refresh-coordinator.js'
import type { CredentialSource, Fallback, SourceContext } from './source.js'
import type { CredentialStore, StoredRecord } from './store.js'
import { TierChain, type PeekMiss } from './tier-chain.js'

/** `refresh(kind, key, { ifValue })`: the credential string the platform rejected. */
export interface RefreshOptions {
  ifValue?: string | undefined
}

/**
 * The methods that are safe to destructure: `const { getAccessToken } = bridge` then `getAccessToken(key)` works,
 * as uniCloud code does with uni-open-bridge-common's module (`const { getAccessToken } = require(…)`).
 */
export const BRIDGE_METHODS = [
  'getAccessToken',
  'setAccessToken',
  'removeAccessToken',
  'refreshAccessToken',
  'getUserAccessToken',
  'setUserAccessToken',
  'removeUserAccessToken',
  'refreshUserAccessToken',
  'getSessionKey',
  'setSessionKey',
  'removeSessionKey',
  'getEncryptKey',
  'setEncryptKey',
  'removeEncryptKey',
  'refreshEncryptKey',
  'getTicket',
  'setTicket',
  'removeTicket',
  'refreshTicket',
  'get',
  'set',
  'remove',
  'refresh',
  'getRecord',
] as const satisfies ReadonlyArray<keyof CredentialBridge>

export interface BridgeOptions extends CoordinationOptions {
  /** Storage tiers, nearest first, e.g. `[memoryStore(), redisStore(…), sqliteStore(…)]`. */
  stores: CredentialStore[]
  /** The apps keys may name by `dcloudAppid`; sources read their secrets from here. */
  apps?: AppConfig[]
  /** Where a miss goes when the call brings no fallback: WeChat fetchers, a central bridge, … */
  source?: CredentialSource
  /**
   * Where `apps` came from, for the `E_UNKNOWN_APP` message (e.g. the config files read). The message always lists
   * the configured dcloudAppids and their platforms; this adds where to look. Never put a secret here.
   */
  appsFrom?: string
  /**
   * Encryption at rest: every tier but the memory tier holds values sealed with AES-256-GCM (see the README,
   * "Encryption at rest"). Off by default.
   */
  encryption?: EncryptionOptions
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
  readonly #generations = new KeyGenerations()
  readonly #failures: FailureMemory
  readonly #ahead: RefreshAheadPolicy
  readonly #coordinator: RefreshCoordinator
  readonly #source: CredentialSource | undefined
  /** The configured apps and where they came from: only read to explain an `E_UNKNOWN_APP`. */
  readonly #appsInfo: { apps: ReadonlyArray<Pick<AppConfig, 'dcloudAppid' | 'platform'>>; from: string | undefined }
  /** Rejecters of the callers waiting on a tier read or a fill, so `close()` answers them at once. */
  readonly #pending = new Set<(error: unknown) => void>()
  #closed = false

  constructor(options: BridgeOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new BridgeError(
        'E_INVALID_CONFIG',
        `createBridge options must be an object, got ${describeType(options)}`,
        { field: 'options' },
      )
    }
    const { stores, source } = options
    if (!Array.isArray(stores) || stores.length === 0) {
      throw new BridgeError('E_INVALID_CONFIG', 'stores must be a non-empty array of tiers, nearest first', {
        field: 'stores',
      })
    }
    stores.forEach((store, i) => {
      if (
        typeof store !== 'object' ||
        store === null ||
        typeof store.get !== 'function' ||
        typeof store.set !== 'function' ||
        typeof store.delete !== 'function' ||
        typeof store.close !== 'function'
      ) {
        throw new BridgeError('E_INVALID_CONFIG', `stores[${i}] is not a store (it needs get, set, delete and close)`, {
          field: `stores[${i}]`,
        })
      }
    })
    if (source !== undefined && (typeof source !== 'object' || source === null || typeof source.fetch !== 'function')) {
      throw new BridgeError('E_INVALID_CONFIG', 'source must have a fetch(kind, key, ctx) method', { field: 'source' })
    }
    if (options.appsFrom !== undefined && typeof options.appsFrom !== 'string') {
      throw new BridgeError('E_INVALID_CONFIG', `appsFrom must be a string, got ${describeType(options.appsFrom)}`, {
        field: 'appsFrom',
      })
    }
    const coordination = resolveCoordination(options)
    this.#apps = new AppRegistry(options.apps ?? [])
    // Only the names, for messages: no secret is kept twice.
    const names = (options.apps ?? []).map(({ dcloudAppid, platform }) => ({ dcloudAppid, platform }))
    this.#appsInfo = { apps: names, from: options.appsFrom }
    this.#keys = new KeyResolver(this.#apps)
    const tiers =
      options.encryption === undefined ? [...stores] : sealTiers([...stores], options.encryption, this.#events)
    this.#chain = new TierChain(tiers, this.#events, this.#generations, coordination.breaker)
    this.#source = source
    this.#failures = new FailureMemory(coordination.failureBackoff)
    this.#ahead = new RefreshAheadPolicy(coordination.refreshAhead, source !== undefined)
    this.#coordinator = new RefreshCoordinator({
      chain: this.#chain,
      events: this.#events,
      generations: this.#generations,
      failures: this.#failures,
      ahead: this.#ahead,
      options: coordination,
    })
    // Bound once, here, as own non-enumerable properties (they shadow the prototype's): a destructured method keeps
    // its bridge, and a call stays one bound-function hop (measured against caching prototype getters: see README).
    for (const name of BRIDGE_METHODS) {
      const method = this[name] as (...args: never[]) => unknown
      Object.defineProperty(this, name, { value: method.bind(this), writable: true, configurable: true })
    }
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
  /** Compare-and-refresh of the app access_token (compares `access_token`); see `refresh`. */
  refreshAccessToken(key: AppKey, options?: RefreshOptions): Promise<AccessTokenValue | null> {
    return this.refresh('access_token', key, options)
  }

  getUserAccessToken(
    key: UserKey,
    fallback?: Fallback<'user_access_token', UserKey>,
  ): Promise<UserAccessTokenValue | null> {
    return this.get('user_access_token', key, fallback)
  }
  setUserAccessToken(key: UserKey, value: UserAccessTokenValue, expiresIn?: number): Promise<void> {
    return this.set('user_access_token', key, value, expiresIn)
  }
  removeUserAccessToken(key: UserKey): Promise<void> {
    return this.remove('user_access_token', key)
  }
  /** Compare-and-refresh of a user's OAuth access_token (compares `access_token`); see `refresh`. */
  refreshUserAccessToken(key: UserKey, options?: RefreshOptions): Promise<UserAccessTokenValue | null> {
    return this.refresh('user_access_token', key, options)
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

  getEncryptKey(
    key: EncryptKeyKey,
    fallback?: Fallback<'encrypt_key', EncryptKeyKey>,
  ): Promise<EncryptKeyValue | null> {
    return this.get('encrypt_key', key, fallback)
  }
  setEncryptKey(key: EncryptKeyKey, value: EncryptKeyValue, expiresIn?: number): Promise<void> {
    return this.set('encrypt_key', key, value, expiresIn)
  }
  removeEncryptKey(key: EncryptKeyKey): Promise<void> {
    return this.remove('encrypt_key', key)
  }
  /** Compare-and-refresh of an encrypt_key (compares `encrypt_key`); see `refresh`. */
  refreshEncryptKey(key: EncryptKeyKey, options?: RefreshOptions): Promise<EncryptKeyValue | null> {
    return this.refresh('encrypt_key', key, options)
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
  /** Compare-and-refresh of a ticket (compares `ticket`); see `refresh`. */
  refreshTicket(key: TicketKey, options?: RefreshOptions): Promise<TicketValue | null> {
    return this.refresh('ticket', key, options)
  }

  // ── generic API ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Reads a credential: the nearest live copy, else the fallback (or the source), whose result is written
   * to every tier. Concurrent misses of one key share one fallback/source call, across processes too (through
   * the lock of the first lock-capable tier). A hit with less than `refreshAhead` left also starts one background
   * refresh. Resolves `null` when nothing is stored and nothing produced a value. Values are shared and frozen:
   * copy before changing.
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
      return Promise.reject(this.#explain(error))
    }
    return this.#getAt(kind, key, storageKey, fallback)
  }

  /** `get` once the key is checked and its storage key known: the hit, else the read through the tiers. */
  #getAt<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    storageKey: string,
    fallback: Fallback<K, CredentialKeys[K]> | undefined,
  ): Promise<CredentialValues[K] | null> {
    // The one clock read of a hit: the memory tier's expiry check and the refresh-ahead check share it.
    const now = Date.now()
    const peeked = this.#chain.peek(storageKey, now)
    if (typeof peeked === 'object') {
      if (peeked.expiresAt !== null && this.#ahead.enabled) this.#checkAhead(kind, key, storageKey, peeked, now)
      return Promise.resolve(peeked.value as CredentialValues[K])
    }
    return this.#readThrough(kind, key, storageKey, fallback, peeked)
  }

  /** `get` of a registered kind through its handle: the kind's storage keys are cached (`KindKeyCache`). */
  #getKind(kind: CredentialKind, keys: KindKeyCache, key: object): Promise<object | null> {
    let storageKey: string
    try {
      if (this.#closed) throw closedError()
      storageKey = keys.storageKey(key)
    } catch (error) {
      return Promise.reject(this.#explain(error))
    }
    return this.#getAt(kind, key as never, storageKey, undefined)
  }

  /** Writes a credential to every tier. `expiresIn` in seconds; `-1` or omitted = never expires. */
  async set<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    value: CredentialValues[K],
    expiresIn?: number,
  ): Promise<void> {
    if (this.#closed) throw closedError()
    const storageKey = this.#storageKey(kind, key)
    assertCredentialValue(value, 'value', kind)
    // Only a registered kind is found here (the built-in ones are never in the registry).
    const definition = registeredKind(kind)?.definition
    if (definition?.durable === true && !this.#chain.hasPersistentTier) throw noDurableTier(kind, this.#chain.names)
    const record: StoredRecord = {
      value,
      expiresAt: expiresAtFrom(expiresIn === undefined ? definition?.life : expiresIn, 'expiresIn'),
    }
    this.#failures.forget(storageKey)
    if (definition?.durable === true) await this.#chain.writeDurable(storageKey, record)
    else await this.#chain.write(storageKey, record, true)
  }

  /** Deletes a credential from every tier, and the memory of its last failed fetch (deployment-wide too). */
  async remove<K extends CredentialKind>(kind: K, key: CredentialKeys[K]): Promise<void> {
    if (this.#closed) throw closedError()
    const storageKey = this.#storageKey(kind, key)
    this.#failures.forget(storageKey)
    await Promise.all([this.#chain.delete(storageKey), this.#coordinator.forgetSharedFailure(storageKey)])
  }

  /**
   * Compare-and-refresh, for a credential the platform rejected: with `ifValue` (the rejected credential string,
   * e.g. the `access_token`), resolves the stored credential if it is live and no longer `ifValue` (someone already
   * replaced it), else fetches a new one from the source (`ctx.reason: 'rejected'`, `ctx.previous` the rejected
   * record), writes it and resolves it. Without `ifValue`, the credential stored now is the one treated as rejected.
   * One fetch per deployment however many callers report the same value (single-flight plus the tier lock).
   */
  refresh<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    options: RefreshOptions = {},
  ): Promise<CredentialValues[K] | null> {
    let storageKey: string
    try {
      if (this.#closed) throw closedError()
      storageKey = this.#storageKey(kind, key)
      if (typeof options !== 'object' || options === null) {
        throw new BridgeError('E_INVALID_CONFIG', `refresh options must be an object, got ${describeType(options)}`, {
          field: 'options',
        })
      }
      const ifValue: unknown = options.ifValue
      if (ifValue !== undefined && (typeof ifValue !== 'string' || ifValue.length === 0)) {
        throw new BridgeError(
          'E_INVALID_VALUE',
          `options.ifValue must be the rejected credential string, got ${describeType(ifValue)}`,
          {
            field: 'options.ifValue',
          },
        )
      }
      if (this.#source === undefined && registeredKind(kind)?.definition.pushed !== true) {
        throw new BridgeError('E_NO_SOURCE', 'refresh needs a source: createBridge({ source })', { field: 'source' })
      }
    } catch (error) {
      return Promise.reject(this.#explain(error))
    }
    return this.#guard(
      this.#chain.read(storageKey).then(({ record }) => {
        const current = record === undefined ? undefined : credentialString(kind, record.value)
        const ifValue = options.ifValue ?? current
        // Already replaced by someone else: no lock, no fetch.
        if (record !== undefined && ifValue !== undefined && current !== ifValue)
          return record.value as CredentialValues[K]
        const pushed = registeredKind(kind)
        // A pushed kind cannot be fetched: only the platform's next push replaces a rejected one.
        if (pushed?.definition.pushed === true) return Promise.reject(pushedMissing(pushed, storageKey))
        const reason: RefreshReason = ifValue === undefined ? 'miss' : 'rejected'
        return this.#fill(kind, key, storageKey, undefined, reason, record, ifValue)
      }),
    )
  }

  /**
   * `get` with the credential's life: resolves `{ value, expiresAt }` (ms since the epoch, `null` = never; the
   * expiry the tiers hold, not a memory tier's `maxTtl`), or `null`. The same read as `get` — nearest live copy,
   * single-flight and lock on a miss, fallback or source, refresh-ahead — so an SDK's token hook learns how long it
   * may keep the token without a second read.
   */
  getRecord<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    fallback?: Fallback<K, CredentialKeys[K]>,
  ): Promise<CredentialRecord<K> | null> {
    let storageKey: string
    try {
      if (this.#closed) throw closedError()
      storageKey = this.#keys.storageKey(kind, key)
    } catch (error) {
      return Promise.reject(this.#explain(error))
    }
    const now = Date.now()
    const peeked = this.#chain.peek(storageKey, now)
    if (typeof peeked === 'object') {
      if (peeked.expiresAt !== null && this.#ahead.enabled) this.#checkAhead(kind, key, storageKey, peeked, now)
      return Promise.resolve(recordOf<K>(peeked))
    }
    return this.#guard(
      this.#chain
        .read(storageKey, peeked)
        .then((read): CredentialRecord<K> | null | Promise<CredentialRecord<K> | null> => {
          const record = read.record
          if (record !== undefined) {
            if (record.expiresAt !== null && this.#ahead.enabled)
              this.#checkAhead(kind, key, storageKey, record, Date.now())
            return recordOf<K>(record)
          }
          if (!read.answered && fallback === undefined && this.#source === undefined) {
            return Promise.reject(unavailableError(this.#chain.names))
          }
          const pushed = registeredKind(kind)
          if (pushed?.definition.pushed === true) return Promise.reject(pushedMissing(pushed, storageKey))
          if (fallback === undefined && this.#source === undefined) return null
          return this.#coordinator
            .fill(this.#request(kind, key, storageKey, fallback, 'miss', undefined, undefined))
            .then((filled) => (filled === null ? null : recordOf<K>(filled)))
        }),
    )
  }

  // ── registered kinds ────────────────────────────────────────────────────────────────────────────

  /**
   * The generic methods bound to one kind: a built-in kind's name, or a kind definition (registered now if it is
   * not yet: see `registerKind`; a different definition under a taken name throws `E_KIND_EXISTS`).
   * `bridge.credential(corpToken).get({ corpid, agentid })`.
   */
  credential<K extends CredentialKind>(kind: K): CredentialHandle<CredentialKeys[K], CredentialValues[K]>
  credential<Key extends object, Value extends object = Record<string, unknown>>(
    kind: CredentialKindDefinition<Key, Value>,
  ): CredentialHandle<Key, Value>
  credential(kind: unknown): CredentialHandle<object, object> {
    const name = typeof kind === 'string' ? kind : registerKind(kind as CredentialKindDefinition).name
    if (typeof kind === 'string' && !(CREDENTIAL_KINDS as readonly string[]).includes(kind) && !registeredKind(kind)) {
      throw new BridgeError(
        'E_INVALID_KEY',
        `kind must be one of ${CREDENTIAL_KINDS.join(', ')} or a registered kind`,
        {
          field: 'kind',
        },
      )
    }
    // The generic methods take any registered kind's name; their types name the built-in ones only.
    const k = name as CredentialKind
    const registered = registeredKind(name)
    // A registered kind's hit goes straight to its storage-key cache (no registry lookup, no checks once seen).
    const keys = registered === undefined ? undefined : this.#keys.kindKeys(registered)
    return Object.freeze({
      kind: name,
      get:
        keys === undefined ? (key: object) => this.get(k, key as never) : (key: object) => this.#getKind(k, keys, key),
      set: (key: object, value: object, expiresIn?: number) => this.set(k, key as never, value as never, expiresIn),
      remove: (key: object) => this.remove(k, key as never),
      refresh: (key: object, options?: RefreshOptions) => this.refresh(k, key as never, options),
    })
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
    const resolved = this.#keys.resolve(kind, key, this.#storageKey(kind, key))
    return { key: resolved, ctx: this.#sourceContext(resolved, 'miss', undefined, this.#coordinator.signal) }
  }

  // ── events and lifecycle ────────────────────────────────────────────────────────────────────────

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends BridgeEventName>(event: E, listener: BridgeListener<E>): () => void {
    return this.#events.on(event, listener)
  }
  off<E extends BridgeEventName>(event: E, listener: BridgeListener<E>): void {
    this.#events.off(event, listener)
  }

  /**
   * Closes the bridge: callers still waiting reject with `E_CLOSED` at once, fetches in flight are aborted (their
   * `ctx.signal`) and write nothing, then every tier and the source close. Further calls fail with `E_CLOSED`.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const reject of [...this.#pending]) reject(closedError())
    this.#pending.clear()
    await this.#coordinator.close()
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
    // A hit in a network tier is a hot path too: the guard's promise is the caller's, settled straight from the
    // tier's read (no `.then` promise between them); a miss goes on to the fill, still guarded.
    return new Promise<CredentialValues[K] | null>((resolve, reject) => {
      const pending = this.#pending
      pending.add(reject)
      const fail = (error: unknown) => {
        pending.delete(reject)
        reject(error)
      }
      this.#chain.read(storageKey, peeked).then((read) => {
        try {
          const record = read.record
          if (record === undefined) {
            this.#miss(kind, key, storageKey, fallback, read.answered).then((value) => {
              pending.delete(reject)
              resolve(value)
            }, fail)
            return
          }
          if (record.expiresAt !== null && this.#ahead.enabled)
            this.#checkAhead(kind, key, storageKey, record, Date.now())
          pending.delete(reject)
          resolve(record.value as CredentialValues[K])
        } catch (error) {
          fail(error)
        }
      }, fail)
    })
  }

  #miss<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    storageKey: string,
    fallback: Fallback<K, CredentialKeys[K]> | undefined,
    answered: boolean,
  ): Promise<CredentialValues[K] | null> {
    const registered = registeredKind(kind)
    // A pushed kind is never fetched: its miss says that its pushes have not arrived (unless no tier answered).
    if (registered?.definition.pushed === true) {
      return Promise.reject(answered ? pushedMissing(registered, storageKey) : unavailableError(this.#chain.names))
    }
    if (fallback === undefined && this.#source === undefined) {
      return answered ? Promise.resolve(null) : Promise.reject(unavailableError(this.#chain.names))
    }
    return this.#fill(kind, key, storageKey, fallback, 'miss', undefined, undefined)
  }

  #fill<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    storageKey: string,
    fallback: Fallback<K, CredentialKeys[K]> | undefined,
    reason: RefreshReason,
    trigger: StoredRecord | undefined,
    ifValue: string | undefined,
  ): Promise<CredentialValues[K] | null> {
    const request = this.#request(kind, key, storageKey, fallback, reason, trigger, ifValue)
    return this.#coordinator
      .fill(request)
      .then((record) => (record === null ? null : (record.value as CredentialValues[K])))
  }

  /** A hit with an expiry: start a background refresh when less than `refreshAhead` is left (source only). */
  #checkAhead<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    storageKey: string,
    record: StoredRecord,
    now: number,
  ): void {
    const remaining = this.#ahead.due(kind, record.expiresAt!, now)
    if (remaining < 0 || !this.#coordinator.mayRefreshAhead(storageKey, now)) return
    this.#coordinator.refreshAhead(
      this.#request(kind, key, storageKey, undefined, 'refresh-ahead', record, undefined),
      remaining,
    )
  }

  #request<K extends CredentialKind>(
    kind: K,
    key: CredentialKeys[K],
    storageKey: string,
    fallback: Fallback<K, CredentialKeys[K]> | undefined,
    reason: RefreshReason,
    trigger: StoredRecord | undefined,
    ifValue: string | undefined,
  ): FillRequest {
    const registered = registeredKind(kind)
    if (registered !== undefined)
      return this.#registeredRequest(registered, kind, key, storageKey, fallback, reason, trigger, ifValue)
    const resolved = this.#keys.resolve(kind, key, storageKey)
    const produce: FillRequest['produce'] =
      fallback !== undefined
        ? // The fallback gets the caller's key with the platform appid filled in (a dcloudAppid key resolved).
          ({ reason, previous, signal }) => fallback({ ...key, appid: resolved.appid }, { reason, previous, signal })
        : ({ reason, previous, signal }) =>
            this.#source!.fetch(kind, resolved, this.#sourceContext(resolved, reason, previous, signal, ifValue))
    return { kind, storageKey, reason, by: fallback !== undefined ? 'fallback' : 'source', trigger, ifValue, produce }
  }

  /** A fill of a registered kind: the fallback gets the caller's key, the source's `fetchKind` the checked one. */
  #registeredRequest(
    registered: RegisteredKind,
    kind: CredentialKind,
    key: object,
    storageKey: string,
    fallback: Fallback<CredentialKind, never> | undefined,
    reason: RefreshReason,
    trigger: StoredRecord | undefined,
    ifValue: string | undefined,
  ): FillRequest {
    const resolved = this.#keys.resolveRegistered(registered, key, storageKey)
    const source = this.#source
    const produce: FillRequest['produce'] =
      fallback !== undefined
        ? ({ reason, previous, signal }) => fallback(key as never, { reason, previous, signal })
        : ({ reason, previous, signal }) =>
            source?.fetchKind === undefined
              ? Promise.resolve(null)
              : source.fetchKind(registered.definition.name, resolved, {
                  app: undefined,
                  bridge: this,
                  reason,
                  previous,
                  signal,
                  ...(reason === 'rejected' && ifValue !== undefined ? { ifValue } : {}),
                })
    return { kind, storageKey, reason, by: fallback !== undefined ? 'fallback' : 'source', trigger, ifValue, produce }
  }

  #sourceContext(
    resolved: ResolvedKey,
    reason: RefreshReason,
    previous: StoredRecord | undefined,
    signal: AbortSignal,
    ifValue?: string,
  ): SourceContext {
    const app = this.#apps.byAppid(resolved.platform, resolved.appid)
    return reason === 'rejected' && ifValue !== undefined
      ? { app, bridge: this, reason, previous, signal, ifValue }
      : { app, bridge: this, reason, previous, signal }
  }

  /** The storage key, or the key's error (an `E_UNKNOWN_APP` explained). Not on `get`'s hit path. */
  #storageKey(kind: CredentialKind, key: unknown): string {
    try {
      return this.#keys.storageKey(kind, key)
    } catch (error) {
      throw this.#explain(error)
    }
  }

  #explain(error: unknown): unknown {
    return explainUnknownApp(error, this.#appsInfo.apps, this.#appsInfo.from)
  }

  /** Settles with `work`, or rejects `E_CLOSED` as soon as the bridge closes. */
  #guard<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.add(reject)
      work.then(
        (value) => {
          this.#pending.delete(reject)
          resolve(value)
        },
        (error: unknown) => {
          this.#pending.delete(reject)
          reject(error)
        },
      )
    })
  }
}

/** Creates a bridge. See `BridgeOptions`. */
export function createBridge(options: BridgeOptions): CredentialBridge {
  return new CredentialBridge(options)
}

function closedError(): BridgeError {
  return new BridgeError('E_CLOSED', 'the bridge is closed')
}

function noDurableTier(kind: string, tiers: string[]): BridgeError {
  return new BridgeError(
    'E_NO_DURABLE_TIER',
    `${kind} is durable (it cannot be fetched again) and needs a persistent tier; the tiers are ${tiers.join(', ')}: add sqliteStore, mongoStore or redisStore`,
    { field: 'stores' },
  )
}

function pushedMissing(kind: RegisteredKind, storageKey: string): BridgeError {
  const hint = kind.definition.pushedHint ?? "check that the platform's push URL is configured and reaches this service"
  return new BridgeError(
    'E_PUSHED_MISSING',
    `no ${kind.definition.name} has arrived for ${storageKey}: it is pushed by the platform and never fetched, so its pushes have not arrived (or were not stored); ${hint}`,
    { field: 'kind' },
  )
}

function unavailableError(tiers: string[]): BridgeError {
  return new BridgeError(
    'E_STORE_UNAVAILABLE',
    `every tier failed to answer (tiers: ${tiers.join(', ')}) and there is no fallback or source`,
  )
}
