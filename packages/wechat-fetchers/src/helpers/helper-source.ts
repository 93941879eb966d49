import type { CredentialBridge } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import { findInternals, internalsOf, type SourceInternals } from '../source-internals.js'
import type { WechatSource } from '../wechat-source.js'

/** Options of the helpers that call the platform. */
export interface PlatformHelperOptions {
  /**
   * The `wechatSource()` whose HTTP pool, hosts, retry policy and expiry margin the call uses. Defaults to
   * the bridge's own source; pass one when the bridge's source is something else (e.g. a central bridge).
   */
  source?: WechatSource | undefined
}

/**
 * The source a helper calls the platform through (`options.source`, else the bridge's own, if it is a
 * `wechatSource()` or combines one), as the helpers use it: its HTTP client and expiry margin.
 */
export function sourceOf(bridge: CredentialBridge, options: PlatformHelperOptions | undefined): SourceInternals {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw invalidArgument('options', 'must be an object')
  const given = options?.source
  if (given !== undefined) {
    // An explicit but wrong source is a mistake to report, not a reason to fall back to the bridge's.
    const internals = internalsOf(given)
    if (internals === undefined) throw invalidArgument('options.source', 'must be a wechatSource()')
    return internals
  }
  const own = findInternals(bridge.source)
  if (own !== undefined) return own
  throw new WechatError(
    'E_NO_WECHAT_SOURCE',
    "the bridge's source is not a wechatSource(): pass one as options.source",
    { field: 'options.source' },
  )
}
