/**
 * The one rule for masking secrets in a text that may reach an error, an event or a log: a driver's message,
 * a request URL, a platform's `errmsg`, a stack.
 */

/**
 * Query parameters whose values are secrets or credentials: WeChat's (`secret`, `js_code`, `code`, the
 * tokens, the tickets, `signature`, and a push's `msg_signature` and `echostr`) and the usual ones of connection
 * strings and signed links (`password`, `pass`, `pwd`, `auth`, `token`, `apikey`, …).
 */
export const SECRET_QUERY_NAMES: readonly string[] = [
  'secret',
  'appsecret',
  'access_token',
  'refresh_token',
  'component_access_token',
  'authorizer_access_token',
  'authorizer_refresh_token',
  'component_appsecret',
  'js_code',
  'code',
  'pre_auth_code',
  'session_key',
  'encrypt_key',
  'ticket',
  'jsapi_ticket',
  'component_verify_ticket',
  'signature',
  'msg_signature',
  'echostr',
  'sig',
  'password',
  'passwd',
  'pass',
  'pwd',
  'auth',
  'authorization',
  'token',
  'auth_token',
  'id_token',
  'apikey',
  'api_key',
  'access_key',
  'secret_key',
  'client_secret',
  'private_key',
  'credential',
  'credentials',
  'sasl_password',
  'tls_key_password',
  'authmechanismproperties',
]

// `name=value` where `name` is a whole word (after `?`, `&`, a space, the start of the text…): the value runs to
// the next `&`, `#`, whitespace, quote or angle bracket. Free text too, because a library's error message may
// quote the URL.
const SECRET_QUERY = new RegExp(`\\b((?:${SECRET_QUERY_NAMES.join('|')})=)[^&#\\s"'<>]*`, 'gi')

// `//userinfo@` of a URL, with or without a scheme: `redis://user:password@host`, `//token@host`. Up to the last
// `@` of the authority, as URL parsers read it: a password holding `@` is masked whole.
const URL_USERINFO = /\/\/[^/?#\s]*@/g

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
  return maskLiterals(text.replace(SECRET_QUERY, '$1***').replace(URL_USERINFO, '//***@'), options.literals)
}

function maskLiterals(text: string, given: RedactSecretsOptions['literals']): string {
  let out = text
  // Longest first: a literal that contains another is masked whole, not around the shorter one's mask.
  const literals = (given ?? []).filter((literal): literal is string => typeof literal === 'string')
  for (const literal of literals.filter((l) => l.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(literal).join('***')
  }
  return out
}

/**
 * A URL as it may be shown — a store's label, a config view, a log line: every credential it may hold masked
 * with `***`, wherever it is.
 *
 * - userinfo: `user:password@` keeps the user (`redis://app:***@db`), a lone `token@` is masked whole
 *   (`https://***@host`);
 * - query: the value of every sensitive member (the names of `redactSecrets`: `password`, `pass`, `pwd`, `auth`,
 *   `token`, `secret`, `signature`, `msg_signature`, `echostr`, …, any case); other members are kept
 *   (`?db=2&password=***`);
 * - fragment: masked whole (`#***`) — a store URL has no use for one, so whatever is there is not shown;
 * - every one of `literals`.
 *
 * Text that is not a URL is masked by the same rules as far as they apply. Never throws.
 *
 * ```ts
 * redactUrl('redis://app:pw@db:6379/0?password=pw2&db=1#pw3') // 'redis://app:***@db:6379/0?password=***&db=1#***'
 * ```
 */
export function redactUrl(url: string, options: RedactSecretsOptions = {}): string {
  const hash = url.indexOf('#')
  let rest = hash === -1 ? url : url.slice(0, hash)
  const fragment = hash === -1 ? '' : hash === url.length - 1 ? '#' : '#***'
  const authority = /^([a-z][a-z0-9+.-]*:)?\/\/([^/?#]*)/i.exec(rest)
  if (authority !== null) {
    const whole = authority[2]!
    const at = whole.lastIndexOf('@')
    if (at !== -1) {
      const userInfo = whole.slice(0, at)
      const colon = userInfo.indexOf(':')
      const masked = colon === -1 ? '***' : `${userInfo.slice(0, colon)}:***`
      const start = (authority[1] ?? '').length + 2
      rest = rest.slice(0, start) + masked + rest.slice(start + at)
    }
  }
  const query = rest.indexOf('?')
  if (query !== -1) rest = rest.slice(0, query) + rest.slice(query).replace(SECRET_QUERY, '$1***')
  return maskLiterals(rest + fragment, options.literals)
}
