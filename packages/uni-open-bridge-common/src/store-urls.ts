import { UniCommonError } from './errors.js'

/** Store URLs, nearest first, that replace the config's `stores`: `OPEN_BRIDGE_STORES="memory,redis://…"`. */
export const STORES_ENV = 'OPEN_BRIDGE_STORES'

/** Where a store URL starts: `memory`, `sqlite:` or any `scheme://` (an unknown one is refused by the parser, named). */
const STORE_START = /^(?:memory(?:\?|$)|sqlite:|[a-z][a-z0-9+.-]*:\/\/)/i

/**
 * Splits `OPEN_BRIDGE_STORES` into URLs at commas, except where what follows is not the start of a store URL, so a
 * MongoDB seed list (`mongodb://h1:27017,h2:27017/db`) stays one URL. The URLs themselves are checked by the
 * server's store-URL rule (`loadConfig({ stores })`), the one home of that rule. Unset → `undefined` (the config
 * decides); set but naming no store → `E_INVALID_ENV`.
 */
export function storeUrlsFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = env[STORES_ENV]
  if (raw === undefined) return undefined
  const urls: string[] = []
  for (const piece of raw.split(',')) {
    const url = piece.trim()
    if (url === '') continue
    // `h2:27017/db` after `mongodb://h1:27017,` is the next host of the seed list, not a store of its own.
    if (urls.length > 0 && !STORE_START.test(url)) urls[urls.length - 1] += `,${url}`
    else urls.push(url)
  }
  if (urls.length === 0) {
    throw new UniCommonError(
      'E_INVALID_ENV',
      `${STORES_ENV} is set but names no store (e.g. "memory,redis://127.0.0.1:6379")`,
      {
        field: STORES_ENV,
      },
    )
  }
  return urls
}
