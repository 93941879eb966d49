import type * as Undici from 'undici'

let loading: Promise<typeof Undici> | undefined

/**
 * undici, loaded on the first platform call rather than at import: importing it costs a process more than
 * everything else a credential hit needs together (about +135 ms and +17 MiB on a cold start), and a process that
 * only reads cached credentials (a serverless function, a CLI call) never calls the platform.
 */
export function loadUndici(): Promise<typeof Undici> {
  loading ??= import('undici')
  return loading
}
