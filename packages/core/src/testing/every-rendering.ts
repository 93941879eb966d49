import { inspect } from 'node:util'

/** Every way an error object reaches a log: util.inspect deep, JSON (pino), the stack, and the chain of causes. */
export function everyRendering(error: unknown): string {
  const parts = [inspect(error, { depth: 10, showHidden: true }), safeJson(error)]
  for (
    let e: unknown = error, n = 0;
    typeof e === 'object' && e !== null && n < 10;
    e = (e as { cause?: unknown }).cause, n++
  ) {
    parts.push(String((e as { stack?: unknown }).stack), String((e as { message?: unknown }).message), safeJson(e))
  }
  return parts.join('\n')
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? ''
  } catch {
    return ''
  }
}
