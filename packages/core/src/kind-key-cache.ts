import { KEY_CACHE_GENERATION } from './key-cache-generation.js'
import { type RegisteredKind, resolveKindKey } from './kind-registry.js'

/** One level of the cache: a key field's value → the next level, or the storage key at the last field. */
type Level = Map<unknown, Level | string>

/**
 * The storage keys of one registered kind, cached by the values of its key fields, so a hit neither checks the
 * fields again nor builds (and hashes) a new string: it walks one `Map` level per declared field, looking up values
 * the caller already holds, and returns the string the memory tier was written under.
 *
 * Only a key that passed every check is ever stored, so a value found in the cache is one that passed: a key the
 * cache does not know goes through `resolveKindKey` (every check, `E_INVALID_KEY` naming the field) and is cached
 * only then. Only primitive values are cached (a string, a number but `-0`, a boolean, `undefined` for an absent
 * optional field): an object value, which could change after its check, is checked on every call. A check must
 * judge a value alone (as `keyField`'s do): the same value always passes or always fails.
 *
 * Bounded like the built-in kinds' cache (`AppStringCache`): two generations of `KEY_CACHE_GENERATION` keys; a key
 * read from the previous generation is checked again and moves to the current one keeping its string.
 */
export class KindKeyCache {
  readonly #kind: RegisteredKind
  readonly #fields: readonly string[]
  readonly #first: string
  readonly #second: string | undefined
  readonly #generation: number
  #current: Level = new Map()
  #previous: Level = new Map()
  /** Storage keys held by the current generation. */
  #count = 0

  constructor(kind: RegisteredKind, generation: number = KEY_CACHE_GENERATION) {
    this.#kind = kind
    this.#fields = kind.fields
    this.#first = kind.fields[0]!
    this.#second = kind.fields[1]
    this.#generation = generation
  }

  /** Storage keys held, both generations. */
  get size(): number {
    return this.#count + countLeaves(this.#previous, this.#fields.length)
  }

  /** The storage key of `key`; throws the kind's `E_INVALID_KEY` / `E_INVALID_KIND` as `resolveKindKey` does. */
  storageKey(key: unknown): string {
    if (typeof key === 'object' && key !== null) {
      const k = key as Record<string, unknown>
      // The first two levels unrolled (most kinds have one or two fields): each a named-field load and one lookup.
      let node = this.#current.get(k[this.#first])
      if (typeof node === 'string') return node
      if (node !== undefined) {
        node = node.get(k[this.#second!])
        if (typeof node === 'string') return node
        const fields = this.#fields
        for (let i = 2; i < fields.length && node !== undefined; i++) {
          node = node.get(k[fields[i]!])
          if (typeof node === 'string') return node
        }
      }
    }
    return this.#firstSight(key)
  }

  /** Every check, then the key is cached (keeping the previous generation's string for it, if it had one). */
  #firstSight(key: unknown): string {
    const resolved = resolveKindKey(this.#kind, key)
    const values: unknown[] = []
    for (const field of this.#fields) {
      const value = resolved.fields[field]
      if (!cacheable(value)) return resolved.storageKey
      values.push(value)
    }
    const kept = leaf(this.#previous, values)
    // The same string object as the tiers were written with: the memory tier's lookup then compares no characters.
    const storageKey = kept === resolved.storageKey ? kept : resolved.storageKey
    if (this.#count >= this.#generation) {
      this.#previous = this.#current
      this.#current = new Map()
      this.#count = 0
    }
    let level = this.#current
    for (let i = 0; i < values.length - 1; i++) {
      let next = level.get(values[i]) as Level | undefined
      if (next === undefined) {
        next = new Map()
        level.set(values[i], next)
      }
      level = next
    }
    const last = values[values.length - 1]
    if (!level.has(last)) this.#count++
    level.set(last, storageKey)
    return storageKey
  }
}

function cacheable(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true
    case 'number':
      return !Object.is(value, -0)
    default:
      return false
  }
}

function leaf(root: Level, values: readonly unknown[]): string | undefined {
  let node: Level | string | undefined = root
  for (let i = 0; i < values.length && node !== undefined; i++) {
    if (typeof node === 'string') return undefined
    node = node.get(values[i])
  }
  return typeof node === 'string' ? node : undefined
}

function countLeaves(level: Level, depth: number): number {
  if (depth === 1) return level.size
  let count = 0
  for (const next of level.values()) count += countLeaves(next as Level, depth - 1)
  return count
}
