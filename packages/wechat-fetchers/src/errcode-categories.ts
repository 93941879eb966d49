/**
 * What to do about a platform `errcode`, from the fact sheet's table. One place, so the retry policy,
 * the error messages and the docs agree.
 */
export type ErrcodeCategory =
  /** The access_token was rejected: refresh it (compare-and-refresh), then retry the call once. */
  | 'token-invalid'
  /** System busy or a per-minute limit: retried with backoff. */
  | 'transient'
  /** Wrong appid / appsecret, IP not whitelisted, API not authorised: an operator must fix the config. */
  | 'config'
  /** The platform wants an administrator to confirm this server's IP. */
  | 'ip-confirm'
  /** The daily quota is used up: stop calling, serve the still-valid credential. */
  | 'quota'
  /** The user's code or session_key is no good: the user must log in again. */
  | 'user'

const CATEGORIES: ReadonlyMap<number, ErrcodeCategory> = new Map<number, ErrcodeCategory>([
  [40001, 'token-invalid'],
  [40014, 'token-invalid'],
  [42001, 'token-invalid'],
  [-1, 'transient'],
  [45011, 'transient'],
  [40013, 'config'],
  [40125, 'config'],
  [40164, 'config'],
  [40243, 'config'],
  [48001, 'config'],
  [41001, 'config'],
  [89503, 'ip-confirm'],
  [89501, 'ip-confirm'],
  [89506, 'ip-confirm'],
  [89507, 'ip-confirm'],
  [45009, 'quota'],
  // clear_quota: this month's 10 resets are spent.
  [48006, 'quota'],
  // Open Platform: the component_verify_ticket is expired (61005) or invalid / missing (61006) — a fresher push is
  // needed, retrying is futile; the account's refresh token is invalid (61023) — it must authorise again; the
  // account has not authorised this component (61003); an invalid component (61011).
  [61005, 'config'],
  [61006, 'config'],
  [61023, 'config'],
  [61003, 'config'],
  [61011, 'config'],
  [40029, 'user'],
  [40163, 'user'],
  [42003, 'user'],
  [87009, 'user'],
  // Web OAuth: the refresh_token is invalid (40030) or expired (42002): the user must authorise again.
  [40030, 'user'],
  [42002, 'user'],
  // WeCom: the suite_access_token expired (42009) or is invalid (40082) — refresh it; the suite_ticket is invalid
  // (40085: a fresher push is needed); the permanent code is invalid (40084: the corp must authorise again); the
  // server's IP is not among the app's trusted IPs (60020). 40014 / 42001 are above; WeCom's 41001 (no
  // access_token) is read as a rejected token by withCorpToken only (WeChat's 41001 stays a configuration error).
  [42009, 'token-invalid'],
  [40082, 'token-invalid'],
  [40085, 'config'],
  [40084, 'config'],
  [60020, 'config'],
])

/**
 * The category of `errcode`. On a token endpoint a "token invalid" code means a wrong secret (the platform
 * answers 40001 there too), so it is a configuration error: refreshing would only loop. Codes not in the
 * table are treated as configuration errors too: never retried, always surfaced.
 */
export function categoryOf(errcode: number, onTokenEndpoint = false): ErrcodeCategory {
  const category = CATEGORIES.get(errcode) ?? 'config'
  return onTokenEndpoint && category === 'token-invalid' ? 'config' : category
}
