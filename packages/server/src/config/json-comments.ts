/**
 * Removes `//` and `/* … *\/` comments outside strings. uni-config-center's documented samples carry comments
 * ("remove them before use", the docs say); a copied sample should still load, so comments are tolerated.
 * Everything else is left to `JSON.parse`. Line breaks are kept, so positions in errors still point right.
 */
export function stripJsonComments(text: string): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      // Copy a whole string, honouring escapes, so "https://…" inside one is left alone.
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      const comment = text.slice(i, end === -1 ? text.length : end + 2)
      out += comment.replace(/[^\n]/g, ' ')
      i += comment.length
    } else {
      out += c
      i++
    }
  }
  return out
}

/**
 * `JSON.parse` whose error says where, never what: V8's message quotes the text around the fault, which in a
 * config file may be a secret. Resolves `{ ok: false, where }` with a line:column when V8 gives a position.
 */
export function parseJsonSafely(text: string): { ok: true; value: unknown } | { ok: false; where: string } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    const position = /position (\d+)/.exec(String((error as Error).message))?.[1]
    if (position === undefined) return { ok: false, where: 'somewhere' }
    const before = text.slice(0, Number(position))
    const line = before.split('\n').length
    const column = Number(position) - before.lastIndexOf('\n')
    return { ok: false, where: `at line ${line}, column ${column}` }
  }
}
