import type { CredentialKind, ResolvedKey } from './credentials.js'
import { BridgeError, describeType } from './errors.js'
import type { KindFetchResult, ResolvedKindKey } from './kind-registry.js'
import type { CredentialSource, FetchResult, SourceContext } from './source.js'

/**
 * One source made of several, for a bridge that serves more than one family (WeChat and WeCom kinds): a built-in
 * kind goes to each source's `fetch`, a registered kind to each source's `fetchKind`, in the order given, until one
 * resolves something other than `null` (a source resolves `null` for what it does not provide). A source that
 * throws ends the search: its error is the fetch's error (a failure is not "not mine"). `close` closes every source,
 * each once, and rejects with the first failure after all of them have been asked.
 *
 * ```ts
 * createBridge({ stores, apps, source: combineSources(wechatSource(), wecomSource({ corps })) })
 * ```
 *
 * Throws `E_INVALID_CONFIG` naming `sources[i]` when an argument is not a source (no `fetch` function).
 */
export function combineSources(...sources: CredentialSource[]): CredentialSource {
  if (sources.length === 0) {
    throw new BridgeError('E_INVALID_CONFIG', 'combineSources needs at least one source', { field: 'sources' })
  }
  sources.forEach((source, i) => {
    const fetchKind = (source as { fetchKind?: unknown } | null)?.fetchKind
    const close = (source as { close?: unknown } | null)?.close
    if (
      typeof source !== 'object' ||
      source === null ||
      typeof source.fetch !== 'function' ||
      (fetchKind !== undefined && typeof fetchKind !== 'function') ||
      (close !== undefined && typeof close !== 'function')
    ) {
      throw new BridgeError(
        'E_INVALID_CONFIG',
        `sources[${i}] must be a credential source (an object with a fetch function), got ${describeType(source)}`,
        { field: `sources[${i}]` },
      )
    }
  })
  const all = Object.freeze([...sources])
  let closing: Promise<void> | undefined
  const combined = {
    async fetch<K extends CredentialKind>(
      kind: K,
      key: ResolvedKey<K>,
      ctx: SourceContext,
    ): Promise<FetchResult<K> | null> {
      for (const source of all) {
        const result = await source.fetch(kind, key, ctx)
        if (result !== null && result !== undefined) return result
      }
      return null
    },
    async fetchKind(kind: string, key: ResolvedKindKey, ctx: SourceContext): Promise<KindFetchResult | null> {
      for (const source of all) {
        if (source.fetchKind === undefined) continue
        const result = await source.fetchKind(kind, key, ctx)
        if (result !== null && result !== undefined) return result
      }
      return null
    },
    close(): Promise<void> {
      closing ??= Promise.allSettled(all.map((source) => source.close?.())).then((settled) => {
        const failed = settled.find((outcome) => outcome.status === 'rejected')
        if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
      })
      return closing
    },
  }
  // Helpers that find their family's internals on the bridge's source (wechat-fetchers' Open Platform, code2Session)
  // look through a combined one with `sourcesOf`.
  Object.defineProperty(combined, COMBINED, { value: all })
  return Object.freeze(combined)
}

/** Where a combined source keeps its parts: a registry symbol, so any copy of core (ESM beside CJS) finds them. */
const COMBINED = Symbol.for('open-bridge.combined-sources')

/**
 * The sources a `combineSources(…)` (from any copy of core) holds, in order, each looked through in turn if it is
 * itself combined; `[source]` for any other source; `[]` for something that is not an object. For helpers that find
 * their own family's source behind the bridge's: `sourcesOf(bridge.source).find(isMine)`.
 */
export function sourcesOf(source: unknown): readonly CredentialSource[] {
  if (typeof source !== 'object' || source === null) return []
  const parts = (source as Record<symbol, unknown>)[COMBINED]
  if (!Array.isArray(parts)) return [source as CredentialSource]
  return parts.flatMap((part: unknown) => sourcesOf(part))
}
