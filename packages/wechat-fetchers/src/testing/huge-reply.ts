import type { ServerResponse } from 'node:http'

/** One chunk of filler, written again and again: the fake never holds a huge reply in memory. */
const FILLER = Buffer.alloc(64 * 1024, 'a')

/**
 * Streams a JSON object of `bytes` bytes — `{"<field>":"aaaa…","expires_in":7200}` — with backpressure, with a
 * `Content-Length` (`declareLength`) or chunked. Stops as soon as the client goes away; resolves the bytes
 * written by then (what a client that cuts the socket early made the fake send).
 */
export async function streamHugeJson(
  res: ServerResponse,
  field: string,
  bytes: number,
  declareLength: boolean,
): Promise<number> {
  const head = Buffer.from(`{"${field}":"`)
  const tail = Buffer.from('","expires_in":7200}')
  const filler = Math.max(0, bytes - head.length - tail.length)
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(declareLength ? { 'content-length': String(head.length + filler + tail.length) } : {}),
  })
  let written = 0
  let gone = false
  res.once('close', () => {
    gone = true
  })
  const write = async (chunk: Buffer): Promise<void> => {
    written += chunk.length
    if (!res.write(chunk))
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done)
          res.off('close', done)
          resolve()
        }
        res.once('drain', done)
        res.once('close', done)
      })
  }
  await write(head)
  for (let left = filler; left > 0 && !gone && !res.destroyed; left -= FILLER.length) {
    await write(left >= FILLER.length ? FILLER : FILLER.subarray(0, left))
  }
  if (!gone && !res.destroyed) {
    written += tail.length
    res.end(tail)
  }
  return written
}
