/** One platform call. `secrets` are the sensitive values in it, masked from any error as literals too. */
export interface PlatformCall {
  host: 'weixin' | 'qq'
  method?: 'GET' | 'POST'
  path: string
  query: Record<string, string>
  /** A JSON body. Never copied into an error: stable_token carries the secret here. */
  body?: Record<string, unknown>
  /** The app the call is for, named in errors. */
  appid: string
  /** A short name for messages, e.g. `stable_token`. */
  endpoint: string
  /** Whether the call is a token endpoint (its 40001 means a wrong secret). */
  tokenEndpoint?: boolean
  secrets: (string | undefined)[]
  /**
   * Sent once, never retried (not even on a timeout): for a call that spends something each time it takes
   * effect, such as clear_quota (10 resets a month) — a retry after a lost answer could spend two.
   */
  once?: boolean
  /** Ends the call (and its retries) when aborted: the bridge's fetch deadline, or `close()`. */
  signal?: AbortSignal | undefined
}
