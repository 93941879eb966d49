/**
 * The one rule for reading a body that arrives over the network (a centre's answer, a platform's reply): never
 * more than a stated number of bytes, whatever the peer sends or claims.
 */

/** The default bound on a body read from the network: 1 MiB (a credential answer is a few KB). */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576

/** What `readBoundedText` read: the text, or how far it got before the bound was passed. */
export type BoundedText =
  | { ok: true; text: string; bytes: number }
  | {
      ok: false
      /** Bytes received when it stopped (0 when `Content-Length` alone was over). */
      bytes: number
      /** The length the peer declared, when it declared one. */
      declared: number | undefined
    }

/** A body stream: async chunks, and a way to drop it (an undici body's `destroy` aborts the request's socket). */
export interface BodyStream extends AsyncIterable<Uint8Array | string> {
  destroy?(error?: Error): unknown
}

/** Is `maxBytes` a bound `readBoundedText` takes: a safe integer ≥ 1? For option checks. */
export function isByteLimit(maxBytes: unknown): maxBytes is number {
  return typeof maxBytes === 'number' && Number.isSafeInteger(maxBytes) && maxBytes >= 1
}

/**
 * Reads `body` as UTF-8 text of at most `maxBytes` bytes. A declared `contentLength` (the header's value) over the
 * bound stops it before any byte is read; otherwise bytes are counted as they arrive (chunked answers, or a
 * length the peer lies about) and it stops on the chunk that passes the bound. When it stops early, `body` is
 * destroyed (for an undici body: the request is aborted and its socket closed, nothing more is read) and
 * `{ ok: false }` says how far it got — the caller throws its own typed error. At most `maxBytes` plus one chunk
 * is ever held.
 */
export async function readBoundedText(
  body: BodyStream,
  maxBytes: number,
  contentLength?: string | string[] | number | undefined,
): Promise<BoundedText> {
  const declared = declaredLength(contentLength)
  if (declared !== undefined && declared > maxBytes) {
    body.destroy?.()
    return { ok: false, bytes: 0, declared }
  }
  const chunks: Uint8Array[] = []
  let bytes = 0
  const encoder = new TextEncoder()
  for await (const chunk of body) {
    const data = typeof chunk === 'string' ? encoder.encode(chunk) : chunk
    bytes += data.byteLength
    if (bytes > maxBytes) {
      // Leaving the loop early also ends the iterator (a Node stream is destroyed by it); say it outright for
      // streams whose iterator does not.
      body.destroy?.()
      chunks.length = 0
      return { ok: false, bytes, declared }
    }
    chunks.push(data)
  }
  const whole = new Uint8Array(bytes)
  let at = 0
  for (const chunk of chunks) {
    whole.set(chunk, at)
    at += chunk.byteLength
  }
  return { ok: true, text: new TextDecoder().decode(whole), bytes }
}

function declaredLength(value: string | string[] | number | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw === undefined) return undefined
  const n = typeof raw === 'number' ? raw : /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN
  return Number.isSafeInteger(n) ? n : undefined
}
