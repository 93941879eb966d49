import { BridgeError } from './errors.js'

/** The two layout functions of a kind definition, made from one template (spread them into `registerKind`). */
export interface KeyLayout<Key extends object> {
  readonly storageKey: (key: Readonly<Key>) => string
  readonly parseStorageKey: (storageKey: string) => Readonly<Key> | undefined
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/**
 * A storage-key layout from a template such as `'wecom:{corpId}:{agentId}:corp-token'`: `storageKey` fills the
 * placeholders with the key's fields, `parseStorageKey` reads them back (each a `:`-free segment, as
 * `keyField.segment` checks them), so tools that walk a store (`open-bridge export`, `copy`, `rekey`) find the kind.
 * Fields are strings; a kind with a numeric field writes its own pair. Throws `E_INVALID_KIND` for a template
 * without placeholders, with one named twice, or with two placeholders not separated by `:`.
 */
export function keyLayout<Key extends object>(template: string): KeyLayout<Key> {
  const fields: string[] = []
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (fields.includes(name!)) throw invalidLayout(template, `names {${name}} twice`)
    fields.push(name!)
  }
  if (fields.length === 0) throw invalidLayout(template, 'has no {field} placeholder')
  const literals = template.split(PLACEHOLDER).filter((_, i) => i % 2 === 0)
  if (literals.slice(1, -1).some((literal) => !literal.includes(':'))) {
    throw invalidLayout(template, 'needs a : between two placeholders')
  }
  const pattern = new RegExp(`^${literals.map(escapeRegExp).join('([^:]+)')}$`)
  const storageKey = (key: Readonly<Key>): string => {
    let out = literals[0]!
    for (let i = 0; i < fields.length; i++)
      out += String((key as Record<string, unknown>)[fields[i]!]) + literals[i + 1]
    return out
  }
  const parseStorageKey = (text: string): Readonly<Key> | undefined => {
    const match = pattern.exec(text)
    if (match === null) return undefined
    const key: Record<string, string> = {}
    for (let i = 0; i < fields.length; i++) key[fields[i]!] = match[i + 1]!
    return key as unknown as Readonly<Key>
  }
  // Two kinds made from different templates must not look alike to the registry's same-definition check.
  const shown = `keyLayout(${JSON.stringify(template)})`
  Object.defineProperty(storageKey, 'toString', { value: () => `${shown}.storageKey` })
  Object.defineProperty(parseStorageKey, 'toString', { value: () => `${shown}.parseStorageKey` })
  return { storageKey, parseStorageKey }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function invalidLayout(template: string, problem: string): BridgeError {
  return new BridgeError('E_INVALID_KIND', `the key layout ${JSON.stringify(template)} ${problem}`, {
    field: 'kind.storageKey',
  })
}
