import { ServerError } from '../errors.js'

const MAX_REDIRECT_LENGTH = 2048

/**
 * The `redirect_uri` of the authorize and callback routes, checked: one absolute http(s) URL of at most 2048
 * characters, without credentials, on one of `origins` — so the routes never redirect a browser to a site the
 * operator did not name (an open redirect would hand WeChat's `auth_code` redirect to anyone).
 */
export function redirectTarget(value: unknown, origins: readonly string[]): URL {
  if (Array.isArray(value)) throw invalid('is given more than once')
  if (typeof value !== 'string' || value === '')
    throw invalid('is required (the page to return to after the authorisation)')
  if (value.length > MAX_REDIRECT_LENGTH) throw invalid(`must be at most ${MAX_REDIRECT_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid('must be an absolute http(s) URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('must be an absolute http(s) URL')
  if (url.username !== '' || url.password !== '') throw invalid('must not carry credentials')
  if (!origins.includes(url.origin))
    throw invalid('is on an origin this component does not allow (openPlatform[].redirectOrigins)')
  return url
}

/** `base` with `params` added to its query. */
export function withQuery(base: string, params: Record<string, string>): string {
  const url = new URL(base)
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  return url.href
}

function invalid(problem: string): ServerError {
  return new ServerError('E_INVALID_REDIRECT', `redirect_uri ${problem}`, { statusCode: 400, field: 'redirect_uri' })
}
