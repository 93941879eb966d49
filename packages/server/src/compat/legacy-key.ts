import type { Platform } from '@open-bridge/core'

/**
 * The platform names of uni-open-bridge's first cloud object (1.0.0, `consts.js`: `mp-weixin`, `h5-weixin`, …),
 * still in its readme's HTTP examples and `schedule` samples, mapped to the names every later version uses.
 */
export const LEGACY_PLATFORMS: Readonly<Record<string, Platform>> = Object.freeze({
  'mp-weixin': 'weixin-mp',
  'h5-weixin': 'weixin-h5',
  'app-weixin': 'weixin-app',
  'web-weixin': 'weixin-web',
  'mp-qq': 'qq-mp',
  'app-qq': 'qq-app',
})

/** Today's name of a platform given in an older spelling; any other value as it is. */
export function currentPlatform(name: unknown): unknown {
  return typeof name === 'string' && Object.hasOwn(LEGACY_PLATFORMS, name) ? LEGACY_PLATFORMS[name] : name
}

/**
 * A key as uni-open-bridge-common read it, in today's terms: `provider` is the platform when it is set (1.1.1 on,
 * `FixOldKey`: `if (!key.provider) key.provider = key.platform`, so a truthy `provider` wins), and an older
 * platform spelling is mapped. A key that needs neither comes back as the same object (the common case costs two
 * property reads); otherwise a copy without `provider`. The caller's object is never changed (the original
 * wrote `provider` and `appid` into it). Anything that is not an object is returned for the bridge to refuse.
 */
export function currentKey<T>(key: T): T {
  if (typeof key !== 'object' || key === null) return key
  const k = key as { platform?: unknown; provider?: unknown }
  const provider = k.provider
  const platform = currentPlatform(provider ? provider : k.platform)
  if (platform === k.platform && provider === undefined) return key
  const { provider: _dropped, ...rest } = k
  return { ...rest, platform } as T
}
