/**
 * The one rule for echoing a value from outside (a client's appid, a command name, an option) in a message:
 * quoted, escaped, bounded — so a message never carries a control character, a NUL, a right-to-left override
 * or a line break a client chose, and never grows with what the client sent.
 */

/**
 * Characters escaped beyond what `JSON.stringify` escapes: DEL and the C1 controls, the soft hyphen, bidi marks
 * and overrides (U+061C, U+200E/F, U+202A–E, U+2066–9), zero-width and invisible formatting characters, the line
 * and paragraph separators, the BOM and the interlinear annotation characters.
 */
const UNSAFE =
  /[\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/g

/** C0 controls but the tab and the line feed, which a multi-line message may hold. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const C0 = /[\u0000-\u0008\u000b-\u001f]/g

const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/**
 * `text` (a message that may quote a value from outside, e.g. a parser's `unknown option '…'`) with every control,
 * format and bidi character written as `\uXXXX`; tabs and line feeds are kept. For text already written to be shown.
 */
export function escapeUnsafe(text: string): string {
  return text.replace(C0, escapeChar).replace(UNSAFE, escapeChar)
}

/** The longest part of a value echoed by default, in UTF-16 units. */
export const QUOTE_MAX_LENGTH = 64

/**
 * `value` as it may appear in a message: a string in double quotes, JSON-escaped, with every control, format and
 * bidi character written as `\uXXXX` (`"wx\u202eevil\u0000"`), cut to `maxLength` units (then `…` after the closing
 * quote); anything else named by its type (`a number`, `null`, `an object`), never its content.
 *
 * Use it for values that are not secrets; a secret is never echoed at all.
 *
 * ```ts
 * quoteValue('wx\u202Efdp.exe\u0000') // '"wx\\u202efdp.exe\\u0000"'
 * ```
 */
export function quoteValue(value: unknown, maxLength: number = QUOTE_MAX_LENGTH): string {
  if (typeof value !== 'string') return describe(value)
  const cut = value.length > maxLength
  // JSON.stringify escapes quotes, backslashes, C0 controls (NUL included) and lone surrogates.
  const quoted = JSON.stringify(cut ? value.slice(0, maxLength) : value).replace(UNSAFE, escapeChar)
  return cut ? `${quoted}…` : quoted
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  const type = typeof value
  return type === 'object' || type === 'undefined' ? (type === 'object' ? 'an object' : 'undefined') : `a ${type}`
}
