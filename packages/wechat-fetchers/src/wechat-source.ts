import type {
  CredentialKind,
  CredentialSource,
  FetchResult,
  KindFetchResult,
  ResolvedKey,
  ResolvedKindKey,
  SourceContext,
} from '@open-bridge/core'
import { recoverHome, recoverRefreshToken } from './open-platform/authorizer-recovery.js'
import { fetchAuthorizerToken } from './open-platform/authorizer-token.js'
import { fetchComponentToken } from './open-platform/component-token.js'
import { OpenPlatformRuntime } from './open-platform/open-platform-runtime.js'
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
  /** The Open Platform family (`options.openPlatform`): the deployment's components, their events and list scans. */
  readonly #openPlatform: OpenPlatformRuntime | undefined

  constructor(options: WechatSourceOptions = {}) {
    this.#options = resolveOptions(options)
    this.#client = new PlatformClient(this.#options)
    this.#openPlatform =
      options.openPlatform === undefined
        ? undefined
        : new OpenPlatformRuntime(options.openPlatform, this.#client, this.#options.expiryMarginSeconds)
    attachInternals(this, {
      client: this.#client,
      expiryMarginSeconds: this.#options.expiryMarginSeconds,
      ...(this.#openPlatform === undefined ? {} : { openPlatform: this.#openPlatform }),
    })
  }

  /** `instanceof WechatSource` holds for a source from any copy of the package (by brand, not class identity). */
  static [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about; subclasses keep the prototype check
    if (this !== WechatSource) return Function.prototype[Symbol.hasInstance].call(this, value)
    return internalsOf(value) !== undefined
  }

  fetch<K extends CredentialKind>(kind: K, key: ResolvedKey<K>, ctx: SourceContext): Promise<FetchResult<K> | null> {
    // An app with no secret configured, on a WeChat platform, with components configured: an authorised account,
    // whose token comes from its home component (`api_authorizer_token`), stored under the same key as any app's.
    if (
      kind === 'access_token' &&
      this.#openPlatform !== undefined &&
      ctx.app?.secret === undefined &&
      key.platform.startsWith('weixin-')
    ) {
      return fetchAuthorizerToken(this.#openPlatform, ctx.bridge, key) as Promise<FetchResult<K>>
    }
    const fetcher = FETCHERS[kind] as Fetcher<K> | undefined
    return fetcher ? fetcher(this.#client, this.#options, key, ctx) : Promise.resolve(null)
  }

  /** The Open Platform family's kinds (see open-platform/kinds.ts); `null` for any other kind. */
  fetchKind(kind: string, key: ResolvedKindKey, ctx: SourceContext): Promise<KindFetchResult | null> {
    const runtime = this.#openPlatform
    if (runtime === undefined) return Promise.resolve(null)
    switch (kind) {
      case 'component_access_token':
        return fetchComponentToken(runtime, key, ctx.bridge)
      case 'authorizer_refresh_token':
        return recoverRefreshToken(runtime, key, ctx.bridge)
      case 'authorizer_home':
        return recoverHome(runtime, key, ctx.bridge)
      default:
        return Promise.resolve(null)
    }
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
