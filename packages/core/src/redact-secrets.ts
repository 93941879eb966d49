/**
 * The one rule for masking secrets in a text that may reach an error, an event or a log: a driver's message,
 * a request URL, a platform's `errmsg`, a stack.
 */

/**
 * Query parameters whose values are secrets or credentials: WeChat's (`secret`, `js_code`, `code`, the
 * tokens, the tickets, `signature`) and the usual ones of connection strings and signed links.
 */
const SECRET_QUERY_NAMES = [
  'secret',
  'appsecret',
  'access_token',
  'refresh_token',
  'component_access_token',
  'authorizer_access_token',
  'authorizer_refresh_token',
  'js_code',
  'code',
  'pre_auth_code',
  'session_key',
  'ticket',
  'jsapi_ticket',
  'component_verify_ticket',
  'signature',
  'sig',
  'password',
  'passwd',
]

// `name=value` where `name` is a whole word (after `?`, `&`, a space, the start of the text…): the value runs to
// the next `&`, `#`, whitespace, quote or angle bracket. Free text too, because a library's error message may
// quote the URL.
const SECRET_QUERY = new RegExp(`\\b((?:${SECRET_QUERY_NAMES.join('|')})=)[^&#\\s"'<>]*`, 'gi')

// `//userinfo@` of a URL, with or without a scheme: `redis://user:password@host`, `//token@host`.
const URL_USERINFO = /\/\/[^/\s@]*@/g

export interface RedactSecretsOptions {
  /**
   * Values to mask wherever they appear (the password, token or value of the operation at hand), in case a
   * driver, a platform or a library echoes them. `undefined` and empty strings are skipped.
   */
  literals?: readonly (string | undefined)[]
}

/**
 * Masks the secrets in `text`, each with `***`: the `user:password@` of any URL (`redis://***@host`), the value
 * of any sensitive query parameter (`?secret=***&appid=wx1` — `secret`, `appsecret`, `access_token`,
 * `refresh_token`, `js_code`, `code`, `session_key`, `ticket`, `signature`, `sig`, `password`, `passwd` and
 * WeChat's open-platform tokens and tickets), and every one of `literals`.
 *
 * ```ts
 * redactSecrets('GET https://api.weixin.qq.com/cgi-bin/token?appid=wx1&secret=S3CR3T failed')
 * // 'GET https://api.weixin.qq.com/cgi-bin/token?appid=wx1&secret=*** failed'
 * redactSecrets('WRONGPASS for redis://app:hunter22@db:6379', { literals: ['hunter22'] })
 * // 'WRONGPASS for redis://***@db:6379'
 * ```
 */
export function redactSecrets(text: string, options: RedactSecretsOptions = {}): string {
  let out = text.replace(SECRET_QUERY, '$1***').replace(URL_USERINFO, '//***@')
  // Longest first: a literal that contains another is masked whole, not around the shorter one's mask.
  const literals = (options.literals ?? []).filter((literal): literal is string => typeof literal === 'string')
  for (const literal of literals.filter((l) => l.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(literal).join('***')
  }
  return out
}
