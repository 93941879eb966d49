import { randomBytes } from 'node:crypto'
import { FakeApp, FakeFault, type FakeState } from './fake-state.js'

/** One authorisation of an account (official account or mini program) to a third-party platform. */
export interface FakeAuthorization {
  /** The account's app: its tokens live in the fake's token table, so business calls and tickets accept them. */
  readonly app: FakeApp
  refreshToken: string
  /** Unix seconds of the (latest) authorisation. */
  authTime: number
  /** Permission sets (`func_info`), as ids. */
  funcIds: number[]
  /** The refresh token is refused (61023) until the account authorises again (`invalidateAuthorizerRefreshToken`). */
  refreshTokenInvalid?: boolean
}

interface PendingAuthCode {
  authorizerAppid: string
  expiresAt: number
  used: boolean
}

/** The Open Platform's rules the fake follows; resolved from `FakeWeChatOptions`. */
export interface FakeComponentRules {
  /** How long a pushed component_verify_ticket is accepted, in seconds (WeChat: 12 h). */
  ticketLifetimeSeconds: number
  /** Life of a pre-auth code and of an authorisation code, in seconds. */
  codeLifetimeSeconds: number
  /** Life of a component_access_token, in seconds (default: the fake's `tokenLifetimeSeconds`). */
  componentTokenLifetimeSeconds?: number
  /** Each `api_authorizer_token` returns a new refresh token and kills the one sent (default: it stays). */
  rotateRefreshTokens?: boolean
}

/**
 * A third-party platform (component) as WeChat holds it: the verify tickets it pushed (each valid 12 h), its
 * component tokens (a new one leaves the previous one at most the grace window, as classic tokens do), pre-auth and
 * authorisation codes, and the accounts authorised to it with their refresh tokens.
 */
export class FakeComponent {
  /** Tickets pushed, newest last, with when they were issued (ms). */
  readonly tickets = new Map<string, number>()
  /** Component tokens: a FakeApp kept out of the app table, so its tokens are refused by business calls. */
  readonly tokenApp: FakeApp
  readonly preAuthCodes = new Map<string, number>()
  readonly authCodes = new Map<string, PendingAuthCode>()
  readonly authorizations = new Map<string, FakeAuthorization>()
  /** `api_start_push_ticket` calls received. */
  pushRequests = 0

  constructor(
    readonly appid: string,
    readonly secret: string,
    /** The push Token and EncodingAESKey the platform encrypts its pushes with. */
    readonly token: string,
    readonly encodingAESKey: string,
  ) {
    this.tokenApp = new FakeApp(appid, secret)
  }

  /** A new verify ticket, as the next push would carry it. */
  newTicket(now: number): string {
    const ticket = `ticket@@@${randomBytes(24).toString('base64url')}`
    this.tickets.set(ticket, now)
    return ticket
  }

  /** 61006 for a ticket this component never had (or none), 61005 for one older than the ticket life. */
  checkTicket(ticket: unknown, now: number, rules: FakeComponentRules): void {
    const issuedAt = typeof ticket === 'string' ? this.tickets.get(ticket) : undefined
    if (issuedAt === undefined) throw new FakeFault(61006, 'component ticket is invalid')
    if (now - issuedAt >= rules.ticketLifetimeSeconds * 1000) throw new FakeFault(61005, 'component ticket is expired')
  }

  /**
   * Authorises `authorizerAppid` (again): an authorisation code to exchange with `api_query_auth`. A first
   * authorisation makes the account and its refresh token; a new one keeps the refresh token (WeChat changes it
   * only when the account authorises again after `unauthorized`).
   */
  authorize(state: FakeState, authorizerAppid: string, funcIds: number[], rules: FakeComponentRules): string {
    const now = state.rules.now()
    if (!this.authorizations.has(authorizerAppid)) {
      const app = state.apps.get(authorizerAppid) ?? new FakeApp(authorizerAppid, randomBytes(16).toString('hex'))
      state.apps.set(authorizerAppid, app)
      this.authorizations.set(authorizerAppid, {
        app,
        refreshToken: `refreshtoken@@@${randomBytes(24).toString('base64url')}`,
        authTime: Math.floor(now / 1000),
        funcIds,
      })
    } else {
      const authorization = this.authorizations.get(authorizerAppid)!
      authorization.authTime = Math.floor(now / 1000)
      authorization.funcIds = funcIds
      if (authorization.refreshTokenInvalid === true) {
        // Authorising again after a 61023 gives the account a new, working refresh token.
        authorization.refreshToken = `refreshtoken@@@${randomBytes(24).toString('base64url')}`
        authorization.refreshTokenInvalid = false
      }
    }
    const code = `queryauthcode@@@${randomBytes(24).toString('base64url')}`
    this.authCodes.set(code, { authorizerAppid, expiresAt: now + rules.codeLifetimeSeconds * 1000, used: false })
    return code
  }

  /** The account withdraws: its refresh token dies, its tokens with it. */
  unauthorize(state: FakeState, authorizerAppid: string): boolean {
    const authorization = this.authorizations.get(authorizerAppid)
    if (authorization === undefined) return false
    for (const token of authorization.app.classic) state.revoke(token)
    authorization.app.classic = []
    this.authorizations.delete(authorizerAppid)
    return true
  }

  /** An authorisation code, once: 61010 when unknown, used or expired (the fake's errcode; WeChat documents none). */
  redeemAuthCode(code: unknown, now: number): FakeAuthorization {
    const pending = typeof code === 'string' ? this.authCodes.get(code) : undefined
    if (pending === undefined || pending.used || pending.expiresAt <= now)
      throw new FakeFault(61010, 'authorization_code is invalid or expired')
    pending.used = true
    const authorization = this.authorizations.get(pending.authorizerAppid)
    if (authorization === undefined) throw new FakeFault(61003, 'component is not authorized by this account')
    return authorization
  }

  /** The account's authorisation to this component: 61003 if it has none. */
  authorizationOf(authorizerAppid: unknown): FakeAuthorization {
    const authorization = typeof authorizerAppid === 'string' ? this.authorizations.get(authorizerAppid) : undefined
    if (authorization === undefined) throw new FakeFault(61003, 'component is not authorized by this account')
    return authorization
  }
}

/** The components the fake knows, and the lookups the component endpoints share. */
export class FakeComponents {
  readonly #byAppid = new Map<string, FakeComponent>()

  constructor(readonly rules: FakeComponentRules) {}

  add(component: FakeComponent): void {
    this.#byAppid.set(component.appid, component)
  }

  /** The component, or 61011 (invalid component) as the platform answers an unknown component_appid. */
  get(appid: unknown): FakeComponent {
    const component = typeof appid === 'string' ? this.#byAppid.get(appid) : undefined
    if (component === undefined) throw new FakeFault(61011, 'invalid component')
    return component
  }

  /** The component whose live component_access_token this is: 40001 / 42001 otherwise. */
  byToken(state: FakeState, token: string | undefined): FakeComponent {
    const owner = state.tokenOwner(token)
    const component = this.#byAppid.get(owner)
    // An app's access_token where a component token is needed: WeChat's 61014 ("must use component token").
    if (component === undefined) throw new FakeFault(61014, 'must use component token')
    return component
  }
}
