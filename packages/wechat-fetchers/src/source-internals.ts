import { sourcesOf } from '@open-bridge/core'
import type { OpenPlatformRuntime } from './open-platform/open-platform-runtime.js'
import type { PlatformClient } from './platform-client.js'

/**
 * What the helpers (code2Session, checkSessionKey, exchangeOAuthCode, …) use of a `wechatSource()`: its HTTP
 * client (one pool, one retry policy) and the margin it takes off a platform `expires_in`. Not part of
 * `WechatSource`'s type: users reach neither.
 */
export interface SourceInternals {
  readonly client: PlatformClient
  readonly expiryMarginSeconds: number
  /** The Open Platform family, when `wechatSource({ openPlatform })` configures components. */
  readonly openPlatform?: OpenPlatformRuntime
}

/**
 * Where a source keeps its internals, and at the same time the brand that makes it a `WechatSource`. A
 * registry symbol, so the ESM build's helpers find the internals of a source the CJS build made (an app that
 * `import`s this package while a dependency `require`s it). The record's shape is thus shared by every copy:
 * add fields, never change one.
 */
const INTERNALS = Symbol.for('open-bridge.wechat-source')

/** Gives `source` its internals: a non-enumerable, read-only symbol property (never logged, never copied). */
export function attachInternals(source: object, internals: SourceInternals): void {
  Object.defineProperty(source, INTERNALS, { value: Object.freeze({ ...internals }) })
}

/** The internals of a source made by any copy of this package, or `undefined` for anything else (its brand). */
export function internalsOf(value: unknown): SourceInternals | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const internals = (value as Record<symbol, unknown>)[INTERNALS]
  return typeof internals === 'object' && internals !== null ? (internals as SourceInternals) : undefined
}

/**
 * The internals of the bridge's source when it is a `wechatSource()` or combines one (`combineSources(wechat,
 * wecom)`: the first part that is one), else `undefined`. For helpers that read the bridge's source.
 */
export function findInternals(source: unknown): SourceInternals | undefined {
  for (const part of sourcesOf(source)) {
    const internals = internalsOf(part)
    if (internals !== undefined) return internals
  }
  return undefined
}
