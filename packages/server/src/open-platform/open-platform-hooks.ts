import type { DecryptedPush } from '@open-bridge/wechat-fetchers'

/** One component as the HTTP routes need it: its push secrets, and where the authorisation redirect comes back. */
export interface OpenPlatformRouteComponent {
  componentAppid: string
  /** The push Token (only ever hashed). */
  token: string
  /** The EncodingAESKey. */
  encodingAESKey: string
  /**
   * This service's public URL (`https://bridge.example.com`): WeChat's authorisation page sends the browser back to
   * `<publicUrl>/open-platform/<componentAppid>/authorized`. Absent → the authorize route answers 404.
   */
  publicUrl?: string | undefined
  /** Origins a `redirect_uri` may be on. Default: the origin of `publicUrl`. */
  redirectOrigins?: readonly string[] | undefined
}

/** What a push did, as the routes log and count it (never a credential). */
export interface PushOutcome {
  infoType: string
  action: string
  authorizerAppid?: string | undefined
}

/**
 * The Open Platform's side of the HTTP routes (`buildApp({ openPlatform })`): the server verifies and decrypts, these
 * apply. `startServer` fills them in with wechat-fetchers' `applyComponentPush`, `authorizationPageUrl` and
 * `exchangeAuthorizationCode` on the configured bridge.
 */
export interface OpenPlatformHooks {
  components: readonly OpenPlatformRouteComponent[]
  /** Stores what a verified push carries (ticket, authorisation, withdrawal). Must be idempotent. */
  applyPush(componentAppid: string, push: DecryptedPush): Promise<PushOutcome>
  /** The authorisation page's URL with a fresh pre-auth code; WeChat redirects to `redirectUri` afterwards. */
  authorizationPageUrl(componentAppid: string, redirectUri: string): Promise<string>
  /** Exchanges the `auth_code` of the redirect (`api_query_auth`) and stores the account's tokens. */
  exchangeAuthorizationCode(componentAppid: string, authorizationCode: string): Promise<{ authorizerAppid: string }>
  /** Told of every push: its outcome (`ticket-stored`, …) or the refusal's code (`E_PUSH_SIGNATURE`, …). For metrics. */
  onPush?(componentAppid: string, result: string): void
  /**
   * How long a push's answer may wait for `applyPush`, in ms; past it `success` is answered and the work goes on
   * (WeChat waits 5 s, then retries). Default 4000.
   */
  replyDeadlineMs?: number
}
