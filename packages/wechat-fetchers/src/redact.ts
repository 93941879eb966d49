/** Query parameters whose values are secrets or credentials. */
const SENSITIVE = [
  'secret',
  'appsecret',
  'access_token',
  'refresh_token',
  'js_code',
  'code',
  'signature',
  'session_key',
]

// `name=value` where name is sensitive and follows `?`, `&` or the start of the text; the value runs to the
// next `&`, `#`, whitespace or quote. Matching in free text too, because an undici error message may embed
// the URL.
const PATTERN = new RegExp(`(^|[?&])(${SENSITIVE.join('|')})=[^&#\\s"'<>]*`, 'gi')

/**
 * The ONE redaction function: every URL (or text that may contain one) that reaches an error, an event
 * or a log passes through here. Sensitive query values become `***`; `literals` (the secret and token of
 * the request at hand) are masked wherever they appear, in case a platform or a library echoes them.
 */
export function redact(text: string, literals: readonly (string | undefined)[] = []): string {
  // `scheme://user:password@host` (a proxy's credentials in baseUrl) → `scheme://***@host`.
  let out = text.replace(PATTERN, '$1$2=***').replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@?#]*@/gi, '$1***@')
  for (const literal of literals) {
    // Short values would mask innocent text; real secrets and tokens are long.
    if (literal !== undefined && literal.length >= 8) out = out.split(literal).join('***')
  }
  return out
}
