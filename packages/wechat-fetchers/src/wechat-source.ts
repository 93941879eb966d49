import type { CredentialKind, CredentialSource, FetchResult, ResolvedKey, SourceContext } from '@open-bridge/core'
import { fetchAccessToken } from './fetchers/access-token.js'
import { fetchEncryptKey } from './fetchers/encrypt-key.js'
import { fetchTicket } from './fetchers/ticket.js'
import { fetchUserAccessToken } from './fetchers/user-access-token.js'
import { resolveOptions, type ResolvedOptions, type WechatSourceOptions } from './options.js'
import { PlatformClient } from './platform-client.js'

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

/** Shared by every copy of this package: a source built by the CJS build is recognised by the ESM build's helpers. */
const WECHAT_SOURCE_BRAND = Symbol.for('open-bridge.wechat-source')

/** The WeChat / QQ platform as a bridge source. Create one with `wechatSource`. */
export class WechatSource implements CredentialSource {
  readonly #options: ResolvedOptions
  /** @internal The HTTP client the helpers share (one pool, one retry policy). */
  readonly client: PlatformClient

  constructor(options: WechatSourceOptions = {}) {
    this.#options = resolveOptions(options)
    this.client = new PlatformClient(this.#options)
    Object.defineProperty(this, WECHAT_SOURCE_BRAND, { value: true })
  }

  /** `instanceof WechatSource` holds for a source from any copy of the package (by brand, not class identity). */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== WechatSource) return Function.prototype[Symbol.hasInstance].call(this, value)
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[WECHAT_SOURCE_BRAND] === true
    )
  }

  fetch<K extends CredentialKind>(kind: K, key: ResolvedKey<K>, ctx: SourceContext): Promise<FetchResult<K> | null> {
    const fetcher = FETCHERS[kind] as Fetcher<K> | undefined
    return fetcher ? fetcher(this.client, this.#options, key, ctx) : Promise.resolve(null)
  }

  /** @internal The safety margin (seconds) helpers take off a platform `expires_in`, as the source does. */
  get expiryMarginSeconds(): number {
    return this.#options.expiryMarginSeconds
  }

  /** Closes the connection pool (not a dispatcher passed in `options.dispatcher`). */
  close(): Promise<void> {
    return this.client.close()
  }
}

/**
 * A source for `createBridge({ source })` that fetches from WeChat / QQ: access_token (stable or classic),
 * JS-SDK tickets, mini-program encrypt keys and web OAuth token renewal. Secrets come from the bridge's `apps`.
 */
export function wechatSource(options: WechatSourceOptions = {}): WechatSource {
  return new WechatSource(options)
}
