import type { AppConfig } from './apps.js'
import type { CredentialBridge } from './bridge.js'
import type { CredentialKind, CredentialValues, ResolvedKey } from './credentials.js'
import type { RefreshReason } from './events.js'
import type { KindFetchResult, ResolvedKindKey } from './kind-registry.js'
import type { StoredRecord } from './store.js'

/** What a source returns: the value and its life in seconds (`-1` = never expires). */
export interface FetchResult<K extends CredentialKind = CredentialKind> {
  value: CredentialValues[K]
  expiresIn: number
}

export interface SourceContext {
  /** The configured app the key names, if any (sources read `secret` from it). */
  readonly app: AppConfig | undefined
  /**
   * The bridge that asked, so a source can read other credentials through the tiers and single-flight
   * (a ticket needs an access_token; an encrypt_key needs a session_key).
   */
  readonly bridge: CredentialBridge
  /**
   * Why the bridge asks: nothing live was stored (`miss`), the stored credential is near its end
   * (`refresh-ahead`), or a caller reported it rejected (`rejected`, from `refresh`): only then is a forced
   * renewal (WeChat's `force_refresh`) called for.
   */
  readonly reason: RefreshReason
  /** The record this fetch replaces, when there is one (for `rejected`: the rejected one). It may be past expiry. */
  readonly previous: StoredRecord | undefined
  /**
   * For `rejected`: the credential string the caller reported rejected (`refresh(…, { ifValue })`, or the one stored
   * when none was given). Set even when no tier held a record (`previous` undefined), so a source that forwards the
   * report (remoteBridge's compare-and-refresh at the centre) still names what was rejected.
   */
  readonly ifValue?: string | undefined
  /** Aborted at `fetchTimeout` or when the bridge closes: pass it to `fetch()` so a hung call is cut. */
  readonly signal: AbortSignal
}

/** What a fallback receives besides the key. */
export interface FallbackContext {
  readonly reason: RefreshReason
  readonly previous: StoredRecord | undefined
  readonly signal: AbortSignal
}

/**
 * Where misses go: the platform (WeChat fetchers), a central bridge over HTTP, or anything else.
 * Resolve `null` for a kind or key the source does not provide; throw for a failure.
 */
export interface CredentialSource {
  fetch<K extends CredentialKind>(kind: K, key: ResolvedKey<K>, ctx: SourceContext): Promise<FetchResult<K> | null>
  /**
   * Optional: fetches a registered kind (`registerKind`), named by `kind`, for its checked key. Without it a
   * registered kind's miss resolves `null`. Never called for a pushed kind. `ctx.app` is `undefined`.
   */
  fetchKind?(kind: string, key: ResolvedKindKey, ctx: SourceContext): Promise<KindFetchResult | null>
  /** Optional: releases sockets and timers when the bridge closes. */
  close?(): Promise<void>
}

/**
 * uni-open-bridge-common's per-call fallback: runs when every tier misses; its result is written back.
 * `duration` is in seconds (required), `-1` = never expires. Resolve `null` to store nothing. It receives the
 * key with `appid` filled in (also when the caller named the app by `dcloudAppid`).
 */
export type Fallback<K extends CredentialKind, Key> = (
  key: Key,
  ctx: FallbackContext,
) => Promise<FallbackResult<K>> | FallbackResult<K>

/** What a fallback produces: the value and its life in seconds (`-1` = never), or nothing. */
export type FallbackResult<K extends CredentialKind> =
  | { value: CredentialValues[K]; duration: number }
  | null
  | undefined
