import type { CredentialKind, CredentialSource, FetchResult, ResolvedKey, SourceContext } from '@open-bridge/core'
import { fetchAccessToken } from './fetchers/access-token.js'
import { fetchEncryptKey } from './fetchers/encrypt-key.js'
import { fetchTicket } from './fetchers/ticket.js'
import { fetchUserAccessToken } from './fetchers/user-access-token.js'
import { resolveOptions, type ResolvedOptions, type WechatSourceOptions } from './options.js'
import { PlatformClient } from './platform-client.js'
import { attachInternals, internalsOf } from './source-internals.js'

type Fetcher<K extends CredentialKind> = (
  client: PlatformClient,
  options: ResolvedOptions,
  key: ResolvedKey<K>,
  ctx: SourceContext,
) => Promise<FetchResult<K> | null>

const FETCHERS: { [K in CredentialKind]?: Fetcher<K> } = {
  access_token: fetchAccessToken,
  ticket: fetchTicket,
  encrypt_key: fetchEncryptKey,
  user_access_token: fetchUserAccessToken,
  // session_key: only code2Session produces one, so a miss resolves null.
  // user_refresh_token: only exchangeOAuthCode (and a renewal that brings a new one) stores one; a miss resolves null.
}

/** The WeChat / QQ platform as a bridge source. Create one with `wechatSource`. */
export class WechatSource implements CredentialSource {
  readonly #options: ResolvedOptions
  /** The HTTP client the helpers share (one pool, one retry policy); they reach it through source-internals.ts. */
  readonly #client: PlatformClient

  constructor(options: WechatSourceOptions = {}) {
    this.#options = resolveOptions(options)
    this.#client = new PlatformClient(this.#options)
    attachInternals(this, { client: this.#client, expiryMarginSeconds: this.#options.expiryMarginSeconds })
  }

  /** `instanceof WechatSource` holds for a source from any copy of the package (by brand, not class identity). */
  static [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about; subclasses keep the prototype check
    if (this !== WechatSource) return Function.prototype[Symbol.hasInstance].call(this, value)
    return internalsOf(value) !== undefined
  }

  fetch<K extends CredentialKind>(kind: K, key: ResolvedKey<K>, ctx: SourceContext): Promise<FetchResult<K> | null> {
    const fetcher = FETCHERS[kind] as Fetcher<K> | undefined
    return fetcher ? fetcher(this.#client, this.#options, key, ctx) : Promise.resolve(null)
  }

  /** Closes the connection pool (not a dispatcher passed in `options.dispatcher`). */
  close(): Promise<void> {
    return this.#client.close()
  }
}

/**
 * A source for `createBridge({ source })` that fetches from WeChat / QQ: access_token (stable or classic),
 * JS-SDK tickets, mini-program encrypt keys and web OAuth token renewal. Secrets come from the bridge's `apps`.
 */
export function wechatSource(options: WechatSourceOptions = {}): WechatSource {
  return new WechatSource(options)
}
