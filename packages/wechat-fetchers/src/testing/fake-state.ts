import { randomBytes } from 'node:crypto'
import type { FakeComponents } from './fake-component.js'
import { FakeQuota } from './fake-quota.js'
import { FakeRequestLog } from './fake-request-log.js'

/** The platform's behaviour knobs, resolved. */
export interface FakeRules {
  tokenLifetimeSeconds: number
  graceSeconds: number
  stableRotationSeconds: number
  ticketLifetimeSeconds: number
  encryptKeyLifetimeSeconds: number
  userTokenLifetimeSeconds: number
  now: () => number
}

/** A failed check: what the platform would answer. */
export class FakeFault extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(errmsg)
  }
}

interface TokenRecord {
  appid: string
  expiresAt: number
}

export interface FakeEncryptKey {
  encrypt_key: string
  iv: string
  version: number
  create_time: number
}

interface FakeUser {
  sessionKey: string
  unionid: string | undefined
  encryptKeys: FakeEncryptKey[]
}

interface PendingCode {
  openid: string
  unionid: string | undefined
  scope: string
  sessionKey: string | undefined
  used: boolean
}

/** One app's state: its tokens, tickets, users and codes. */
export class FakeApp {
  /** The two newest classic (and QQ) tokens, oldest first. */
  classic: string[] = []
  stable: string | undefined
  lastForcedAt: number | undefined
  readonly tickets = new Map<string, { ticket: string; expiresAt: number }>()
  readonly users = new Map<string, FakeUser>()
  readonly loginCodes = new Map<string, PendingCode>()
  readonly oauthCodes = new Map<string, PendingCode>()
  readonly refreshTokens = new Map<string, { openid: string; scope: string }>()

  constructor(
    readonly appid: string,
    readonly secret: string,
  ) {}
}

/**
 * Everything the fake platform remembers, and the platform's rules: classic rotation with a grace window
 * for the previous token, stable tokens that stay the same until forced or near expiry, token checks that
 * answer 40001 (unknown / not latest) or 42001 (expired).
 */
export class FakeState {
  readonly apps = new Map<string, FakeApp>()
  readonly #tokens = new Map<string, TokenRecord>()
  readonly #userTokens = new Map<string, TokenRecord & { openid: string }>()
  /** New app access_tokens issued (classic, stable, QQ): what a rotation costs the platform. */
  tokensIssued = 0
  /** The daily API quota per path, and the monthly clear_quota allowance. */
  readonly quota: FakeQuota
  /** What openapi/rid/get answers: the last requests, by rid. */
  readonly requests = new FakeRequestLog()

  constructor(
    readonly rules: FakeRules,
    /** Daily limits by API path (`/cgi-bin/token` → 2000). */
    dailyLimits: ReadonlyMap<string, number>,
    /** The third-party platforms (components) the fake knows. */
    readonly components: FakeComponents,
  ) {
    this.quota = new FakeQuota(dailyLimits, rules.now)
  }

  app(appid: string): FakeApp {
    const app = this.apps.get(appid)
    if (!app) throw new FakeFault(40013, 'invalid appid')
    return app
  }

  /** The app, if `secret` is its secret: else 40013 / 40125 as the platform answers. */
  authenticate(appid: string | undefined, secret: string | undefined): FakeApp {
    const app = this.app(appid ?? '')
    if (secret !== app.secret) throw new FakeFault(40125, 'invalid appsecret')
    return app
  }

  /** GET /cgi-bin/token and QQ getToken: a new token each call; the previous one keeps at most the grace window, the one before dies. */
  issueClassic(app: FakeApp, lifetimeSeconds = this.rules.tokenLifetimeSeconds): { token: string; expiresIn: number } {
    const now = this.rules.now()
    const [older, previous] = app.classic.length === 2 ? app.classic : [undefined, app.classic[0]]
    if (older !== undefined) this.#tokens.delete(older)
    const previousRecord = previous === undefined ? undefined : this.#tokens.get(previous)
    if (previousRecord)
      previousRecord.expiresAt = Math.min(previousRecord.expiresAt, now + this.rules.graceSeconds * 1000)
    const token = this.#newToken(app, 'CLASSIC', lifetimeSeconds)
    app.classic = previous === undefined ? [token] : [previous, token]
    return { token, expiresIn: lifetimeSeconds }
  }

  /** POST /cgi-bin/stable_token: the same token while it has more than the rotation point left, unless forced. */
  issueStable(app: FakeApp, force: boolean): { token: string; expiresIn: number } {
    const now = this.rules.now()
    const current = app.stable === undefined ? undefined : this.#tokens.get(app.stable)
    const recentlyForced = app.lastForcedAt !== undefined && now - app.lastForcedAt < 30_000
    const beforeRotation = current !== undefined && current.expiresAt - now > this.rules.stableRotationSeconds * 1000
    const keep = current !== undefined && current.expiresAt > now && (force ? recentlyForced : beforeRotation)
    if (keep) return { token: app.stable!, expiresIn: Math.floor((current.expiresAt - now) / 1000) }
    if (force) {
      // A forced refresh kills the old token at once; a natural rotation lets it run out (≤ grace window).
      if (app.stable !== undefined) this.#tokens.delete(app.stable)
      app.lastForcedAt = now
    }
    app.stable = this.#newToken(app, 'STABLE')
    return { token: app.stable, expiresIn: this.rules.tokenLifetimeSeconds }
  }

  /** Kills an app access_token at once (a leak revoked, a forced refresh elsewhere): it answers 40001 from now on. */
  revoke(token: string): boolean {
    return this.#tokens.delete(token)
  }

  /** The app whose live access_token this is, or 40001 (unknown, rotated out) / 42001 (expired). */
  checkToken(token: string | undefined): FakeApp {
    return this.app(this.tokenOwner(token))
  }

  /** The appid a live token was issued to (an app, an authorised account or a component), or 40001 / 42001. */
  tokenOwner(token: string | undefined): string {
    const record = token === undefined ? undefined : this.#tokens.get(token)
    if (!record) throw new FakeFault(40001, 'invalid credential, access_token is invalid or not latest')
    if (record.expiresAt <= this.rules.now()) throw new FakeFault(42001, 'access_token expired')
    return record.appid
  }

  /** A JS-SDK ticket: the same one until it expires. */
  ticket(app: FakeApp, type: string): { ticket: string; expiresIn: number } {
    const now = this.rules.now()
    let entry = app.tickets.get(type)
    if (!entry || entry.expiresAt <= now) {
      entry = { ticket: `TICKET_${type}_${randomToken()}`, expiresAt: now + this.rules.ticketLifetimeSeconds * 1000 }
      app.tickets.set(type, entry)
    }
    return { ticket: entry.ticket, expiresIn: Math.floor((entry.expiresAt - now) / 1000) }
  }

  /** A one-time wx.login code for `openid`. */
  issueLoginCode(app: FakeApp, user: { openid: string; unionid?: string; sessionKey?: string }): string {
    const code = `LOGIN_${randomToken()}`
    app.loginCodes.set(code, {
      openid: user.openid,
      unionid: user.unionid,
      sessionKey: user.sessionKey,
      scope: '',
      used: false,
    })
    return code
  }

  /** jscode2session: 40029 for an unknown code, 40163 for a used one; a new session_key otherwise. */
  redeemLoginCode(
    app: FakeApp,
    code: string | undefined,
  ): { openid: string; unionid: string | undefined; sessionKey: string } {
    const pending = takeCode(app.loginCodes, code)
    const user = this.user(app, pending.openid)
    user.sessionKey = pending.sessionKey ?? randomBytes(16).toString('base64')
    user.unionid = pending.unionid
    return { openid: pending.openid, unionid: pending.unionid, sessionKey: user.sessionKey }
  }

  user(app: FakeApp, openid: string): FakeUser {
    let user = app.users.get(openid)
    if (!user) {
      user = { sessionKey: randomBytes(16).toString('base64'), unionid: undefined, encryptKeys: [] }
      app.users.set(openid, user)
    }
    return user
  }

  /** The user, if `signature` is hmac_sha256(session_key, ""): else 87009. */
  checkSignature(
    app: FakeApp,
    openid: string | undefined,
    signature: string | undefined,
    expected: (sessionKey: string) => string,
  ): FakeUser {
    const user = openid === undefined ? undefined : app.users.get(openid)
    if (!user || signature !== expected(user.sessionKey)) throw new FakeFault(87009, 'invalid signature')
    return user
  }

  /** Adds a new encrypt key version for the user (the platform keeps the last three). */
  rotateEncryptKey(user: FakeUser): FakeEncryptKey {
    const version = (user.encryptKeys.at(-1)?.version ?? 0) + 1
    const key = {
      encrypt_key: randomBytes(16).toString('base64'),
      iv: randomBytes(16).toString('hex'),
      version,
      create_time: Math.floor(this.rules.now() / 1000),
    }
    user.encryptKeys = [...user.encryptKeys, key].slice(-3)
    return key
  }

  /** The user's keys, a new one first if the newest has expired. */
  encryptKeys(user: FakeUser): FakeEncryptKey[] {
    const newest = user.encryptKeys.at(-1)
    if (!newest || (newest.create_time + this.rules.encryptKeyLifetimeSeconds) * 1000 <= this.rules.now())
      this.rotateEncryptKey(user)
    return user.encryptKeys
  }

  issueOAuthCode(app: FakeApp, user: { openid: string; unionid?: string; scope?: string }): string {
    const code = `OAUTH_${randomToken()}`
    app.oauthCodes.set(code, {
      openid: user.openid,
      unionid: user.unionid,
      scope: user.scope ?? 'snsapi_userinfo',
      sessionKey: undefined,
      used: false,
    })
    return code
  }

  redeemOAuthCode(
    app: FakeApp,
    code: string | undefined,
  ): { accessToken: string; refreshToken: string; openid: string; scope: string; unionid: string | undefined } {
    const pending = takeCode(app.oauthCodes, code)
    const refreshToken = `REFRESH_${randomToken()}`
    app.refreshTokens.set(refreshToken, { openid: pending.openid, scope: pending.scope })
    return {
      accessToken: this.#newUserToken(app, pending.openid),
      refreshToken,
      openid: pending.openid,
      scope: pending.scope,
      unionid: pending.unionid,
    }
  }

  /** sns/oauth2/refresh_token: a new user access_token, the same refresh_token; 40030 for an unknown one. */
  refreshUserToken(
    app: FakeApp,
    refreshToken: string | undefined,
  ): { accessToken: string; openid: string; scope: string } {
    const grant = refreshToken === undefined ? undefined : app.refreshTokens.get(refreshToken)
    if (!grant) throw new FakeFault(40030, 'invalid refresh_token')
    return { accessToken: this.#newUserToken(app, grant.openid), openid: grant.openid, scope: grant.scope }
  }

  /** Whether a user access_token is live (for tests). */
  isUserTokenLive(token: string): boolean {
    const record = this.#userTokens.get(token)
    return record !== undefined && record.expiresAt > this.rules.now()
  }

  #newToken(app: FakeApp, family: string, lifetimeSeconds = this.rules.tokenLifetimeSeconds): string {
    this.tokensIssued++
    const token = `${family}_${app.appid}_${randomToken()}`
    this.#tokens.set(token, { appid: app.appid, expiresAt: this.rules.now() + lifetimeSeconds * 1000 })
    return token
  }

  #newUserToken(app: FakeApp, openid: string): string {
    const token = `USER_${randomToken()}`
    this.#userTokens.set(token, {
      appid: app.appid,
      openid,
      expiresAt: this.rules.now() + this.rules.userTokenLifetimeSeconds * 1000,
    })
    return token
  }
}

function takeCode(codes: Map<string, PendingCode>, code: string | undefined): PendingCode {
  const pending = code === undefined ? undefined : codes.get(code)
  if (!pending) throw new FakeFault(40029, 'invalid code')
  if (pending.used) throw new FakeFault(40163, 'code been used')
  pending.used = true
  return pending
}

function randomToken(): string {
  return randomBytes(18).toString('base64url')
}
