import type { CredentialBridge } from '@open-bridge/core'
import { WechatError } from '../errors.js'
import { findInternals } from '../source-internals.js'
import type { OpenPlatformRuntime } from './open-platform-runtime.js'

/** The Open Platform family of the bridge's source, or `E_OPEN_PLATFORM_NOT_CONFIGURED`. */
export function runtimeOf(bridge: CredentialBridge): OpenPlatformRuntime {
  const runtime = findInternals((bridge as { source?: unknown } | null)?.source)?.openPlatform
  if (runtime === undefined) {
    throw new WechatError(
      'E_OPEN_PLATFORM_NOT_CONFIGURED',
      "the bridge's source configures no third-party platform: createBridge({ source: wechatSource({ openPlatform: { components } }) })",
      { field: 'source' },
    )
  }
  return runtime
}
