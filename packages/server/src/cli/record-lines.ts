import {
  envelopeKeyId,
  isExpiresAt,
  isPlainObject,
  kindNameOfStorageKey,
  parseJsonObject,
  type StoredRecord,
} from '@open-bridge/core'

/**
 * One line of `open-bridge export` / `import` (JSON lines): the storage key, its kind, the absolute expiry (ms since
 * the epoch, `null` = never) and the value — an envelope `{ ob: 1, kid, n, c }` sealed for that storage key, or the
 * plain value object with `--plain`.
 */
export interface RecordLine {
  key: string
  /** The kind's name: built in (`access_token`, …) or registered by a family package (`registerKind`). */
  kind: string
  expiresAt: number | null
  value: Record<string, unknown>
}

/** What a line of an import file is read as: a record, or why it is not one (never quoting the line). */
export type ParsedLine = { ok: true; line: RecordLine; format: 'open-bridge' | 'unicloud' } | { ok: false; why: string }

export function recordLine(key: string, kind: string, record: StoredRecord): string {
  return JSON.stringify({ key, kind, expiresAt: record.expiresAt, value: record.value })
}

/**
 * Reads one line: open-bridge's own format, or a document of a uniCloud `opendb-open-data` export
 * (`{ _id: 'uni-id:<platform>:<appid>[:<openid>]:<type>', value, expired }`: `value` an object or its JSON text,
 * `expired` the absolute expiry in ms, `-1` or `0` for never — the storage-key layout is the same as open-bridge's).
 */
export function parseRecordLine(text: string): ParsedLine {
  const doc = parseJsonObject(text)
  if (doc === undefined) return { ok: false, why: 'not a JSON object' }
  if (typeof doc._id === 'string') return fromUnicloud(doc)
  const { key, expiresAt, value } = doc
  if (typeof key !== 'string') return { ok: false, why: 'key is not a string' }
  const kind = kindNameOfStorageKey(key)
  if (kind === undefined) return { ok: false, why: 'key is not a storage key of a known kind' }
  if (doc.kind !== undefined && doc.kind !== kind) return { ok: false, why: 'kind does not match the key' }
  if (!isExpiresAt(expiresAt)) return { ok: false, why: 'expiresAt is neither a number nor null' }
  if (!isPlainObject(value)) return { ok: false, why: 'value is not an object' }
  return { ok: true, format: 'open-bridge', line: { key, kind, expiresAt, value } }
}

function fromUnicloud(doc: Record<string, unknown>): ParsedLine {
  const key = doc._id as string
  const kind = kindNameOfStorageKey(key)
  if (kind === undefined) return { ok: false, why: '_id is not a uni-id storage key of a known kind' }
  const value = typeof doc.value === 'string' ? parseJsonObject(doc.value) : doc.value
  if (!isPlainObject(value)) return { ok: false, why: 'value is neither an object nor its JSON text' }
  const expired = doc.expired
  let expiresAt: number | null
  if (expired === undefined || expired === null || expired === -1 || expired === 0) expiresAt = null
  else if (typeof expired === 'number' && Number.isFinite(expired) && expired > 0) expiresAt = expired
  else if (isPlainObject(expired) && typeof expired.$date === 'number') expiresAt = expired.$date
  else return { ok: false, why: 'expired is not a number of ms' }
  return { ok: true, format: 'unicloud', line: { key, kind, expiresAt, value } }
}

/** Is the value an envelope (of a version this build reads)? Its key id then. */
export function sealedKeyId(value: object): string | undefined {
  return envelopeKeyId(value)
}
