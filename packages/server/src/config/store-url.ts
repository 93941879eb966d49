import { resolve as resolvePath } from 'node:path'
import { memoryStore, redactUrl, type CredentialStore } from '@open-bridge/core'
import { mongoStore } from '@open-bridge/adapter-mongo'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { invalidConfig } from '../errors.js'

export type StoreScheme = 'memory' | 'redis' | 'sqlite' | 'mongodb'

/** A tier the config names, not yet created: creating one may open a connection. */
export interface StoreSpec {
  scheme: StoreScheme
  /** The tier's name in events, metrics and `/readyz` (`redis`, `redis-2`, …). */
  name: string
  /**
   * The URL as it may be logged, printed or shown in a config view: every credential in it masked by core's one
   * rule (`redactUrl`: the password of the userinfo, sensitive query members such as `password=`, the fragment).
   */
  label: string
  create(): CredentialStore
}

/** A parsed `stores` entry, before the tiers are named. */
export interface ParsedStoreUrl {
  scheme: StoreScheme
  label: string
  create(name: string): CredentialStore
}

const USAGE = 'must be a store URL: memory[?max=&maxTtl=], redis://…, rediss://…, sqlite:<path>, mongodb://…/<database>'

/**
 * Parses one `stores` entry. Relative SQLite paths are taken from `cwd`. The URL itself never appears in an
 * error (it may hold a password): messages name the field and the scheme.
 */
export function parseStoreUrl(url: string, field: string, cwd: string): ParsedStoreUrl {
  if (url === 'memory' || url.startsWith('memory?')) {
    const params = new URLSearchParams(url.slice('memory'.length + 1))
    const options: { max?: number; maxTtl?: number } = {}
    for (const [param, value] of params) {
      if (param !== 'max' && param !== 'maxTtl')
        throw invalidConfig(field, `has an unknown memory option '${param}' (known: max, maxTtl)`)
      const n = Number(value)
      if (!Number.isInteger(n) || n <= 0)
        throw invalidConfig(
          field,
          `memory option ${param} must be a positive integer${param === 'maxTtl' ? ' of ms' : ''}`,
        )
      options[param as 'max' | 'maxTtl'] = n
    }
    return { scheme: 'memory', label: redactUrl(url), create: (name) => memoryStore({ ...options, name }) }
  }
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length)
    if (path.startsWith('//')) path = path.slice(2) // sqlite:///abs/file.db and sqlite://./file.db
    if (path.length === 0 || path.includes('?'))
      throw invalidConfig(field, 'must name a file: sqlite:./file.db or sqlite:/abs/path/file.db')
    const file = resolvePath(cwd, path)
    return { scheme: 'sqlite', label: `sqlite:${path}`, create: (name) => sqliteStore({ path: file, name }) }
  }
  const scheme = /^([a-z+]+):\/\//.exec(url)?.[1]
  if (scheme === undefined) throw invalidConfig(field, USAGE)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidConfig(field, `is not a valid ${scheme}:// URL`)
  }
  // The parsed form (normalised), then core's rule: userinfo password, `?password=` and the like, the fragment.
  const label = redactUrl(parsed.href)
  if (scheme === 'redis' || scheme === 'rediss') {
    if (parsed.hostname === '')
      throw invalidConfig(field, `must name a host: ${scheme}://[user:password@]host:port[/db]`)
    return { scheme: 'redis', label, create: (name) => redisStore({ url, name }) }
  }
  if (scheme === 'mongodb' || scheme === 'mongodb+srv') {
    const dbName = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
    if (dbName === '')
      throw invalidConfig(field, `must name its database in the path: ${scheme}://host:port/<database>`)
    return { scheme: 'mongodb', label, create: (name) => mongoStore({ url, dbName, name }) }
  }
  throw invalidConfig(field, USAGE)
}

/** Names each tier by its scheme, numbering repeats (`redis`, `redis-2`), so events and metrics tell them apart. */
export function nameStores(specs: ParsedStoreUrl[]): StoreSpec[] {
  const seen = new Map<string, number>()
  return specs.map((spec) => {
    const n = (seen.get(spec.scheme) ?? 0) + 1
    seen.set(spec.scheme, n)
    const name = n === 1 ? spec.scheme : `${spec.scheme}-${n}`
    return { scheme: spec.scheme, name, label: spec.label, create: () => spec.create(name) }
  })
}

/**
 * Creates every tier, nearest first. If one cannot be created (a bad path, a driver refusing its URL), the
 * ones already created are closed and the error names the entry.
 */
export async function createStores(specs: StoreSpec[]): Promise<CredentialStore[]> {
  const created: CredentialStore[] = []
  for (const [i, spec] of specs.entries()) {
    try {
      created.push(spec.create())
    } catch (error) {
      await Promise.allSettled(created.map((store) => store.close()))
      throw invalidConfig(
        `stores[${i}]`,
        `(${spec.scheme}) could not be created: ${describeFailure(error, spec.scheme)}`,
      )
    }
  }
  return created
}

/**
 * Our adapters' errors (`E_…` codes) name an option, never the URL, and a SQLite failure names a file path:
 * those messages are safe to show. Anything else (a driver's) is shown by its code alone, as it may quote the URL.
 */
function describeFailure(error: unknown, scheme: StoreScheme): string {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown
    message?: unknown
  }
  const safe = (typeof code === 'string' && code.startsWith('E_')) || scheme === 'sqlite'
  if (safe && typeof message === 'string') return typeof code === 'string' ? `${code}: ${message}` : message
  return typeof code === 'string' ? code : 'the driver refused it'
}
