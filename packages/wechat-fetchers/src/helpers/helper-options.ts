import type { CredentialBridge, CredentialKeys, CredentialKind, ResolvedKey, SourceContext } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import { WechatSource } from '../wechat-source.js'

/** Options of the helpers that call the platform. */
export interface PlatformHelperOptions {
  /**
   * The `wechatSource()` whose HTTP pool, hosts, retry policy and expiry margin the call uses. Defaults to
   * the bridge's own source; pass one when the bridge's source is something else (e.g. a central bridge).
   */
  source?: WechatSource | undefined
}

/**
 * Validates a helper's key exactly as the bridge's `get` does (same `BridgeError`s, so `dcloudAppid` keys
 * work) and returns it resolved, with the configured app (its secret) in `ctx`.
 */
export function resolveKey<K extends CredentialKind>(
  bridge: CredentialBridge,
  kind: K,
  key: CredentialKeys[K],
): { key: ResolvedKey<K>; ctx: SourceContext } {
  if (typeof (bridge as Partial<CredentialBridge> | null)?.resolve !== 'function')
    throw invalidArgument('bridge', 'must be a bridge made by createBridge()')
  return bridge.resolve(kind, key)
}

/** The source a helper calls the platform through: `options.source`, else the bridge's own, if it is a `wechatSource()`. */
export function sourceOf(bridge: CredentialBridge, options: PlatformHelperOptions | undefined): WechatSource {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw invalidArgument('options', 'must be an object')
  const given = options?.source
  if (given !== undefined) {
    // An explicit but wrong source is a mistake to report, not a reason to fall back to the bridge's.
    if (!(given instanceof WechatSource)) throw invalidArgument('options.source', 'must be a wechatSource()')
    return given
  }
  if (bridge.source instanceof WechatSource) return bridge.source
  throw new WechatError(
    'E_NO_WECHAT_SOURCE',
    "the bridge's source is not a wechatSource(): pass one as options.source",
    { field: 'options.source' },
  )
}
