import { BridgeError, type BridgeErrorOptions, errorBrand } from '@open-bridge/core'
import type { ErrcodeCategory } from './errcode-categories.js'
import { diagnoseIp, type IpDiagnosis } from './ip-diagnosis.js'

/** The codes `@open-bridge/wechat-fetchers` throws. */
export type WechatErrorCode =
  /** The platform answered a non-zero `errcode` (see `PlatformApiError`). */
  | 'E_PLATFORM_API'
  /** An encrypt_key was asked for a user whose session_key the bridge does not hold (call `code2Session` first). */
  | 'E_SESSION_KEY_MISSING'
  /** The platform returned encrypt keys, but none with the requested `version`. */
  | 'E_ENCRYPT_KEY_VERSION_MISSING'
  /** The key names an app that `createBridge({ apps })` does not configure, or configures without a secret. */
  | 'E_APP_NOT_CONFIGURED'
  /** The platform could not be reached, answered 5xx (after retries) or answered something that is not JSON. */
  | 'E_HTTP'
  /**
   * The platform's reply is larger than `maxReplyBytes` (by its `Content-Length` or counted as it arrived): it
   * was cut there, its socket closed, nothing of it used or cached, and it is not retried. `field` is `maxReplyBytes`.
   */
  | 'E_REPLY_TOO_LARGE'
  /** The platform did not answer in time (after retries). */
  | 'E_TIMEOUT'
  /** encryptedData could not be decrypted (wrong key or iv, bad padding, not JSON). */
  | 'E_DECRYPT'
  /** The decrypted data carries another app's appid in its watermark. */
  | 'E_WATERMARK_MISMATCH'
  /**
   * A push's `msg_signature` does not match, or the push lacks what it is computed from (`msg_signature`,
   * `timestamp`, `nonce`, or one of them is malformed or repeated): not from the platform, or the token is wrong.
   */
  | 'E_PUSH_SIGNATURE'
  /** A verified push's `timestamp` is further from this server's clock than `timestampToleranceSeconds`: a replay, or a clock off. */
  | 'E_PUSH_STALE'
  /**
   * A push's `Encrypt` (or `echostr`) does not decrypt: not base64, not whole AES blocks, a bad PKCS#7 pad, a length
   * field past the end, not UTF-8. With a matching signature this means a wrong EncodingAESKey.
   */
  | 'E_PUSH_DECRYPT'
  /** A push decrypted, but names another receiver than `receiveId` (another app's, corp's or suite's message). */
  | 'E_PUSH_RECEIVE_ID'
  /** A push body is larger than `maxBodyBytes` (or an XML text larger than `maxBytes`). */
  | 'E_PUSH_TOO_LARGE'
  /** A push body or decrypted message is not the XML the platform sends (malformed, a DOCTYPE or entity, too deep, no `Encrypt`). */
  | 'E_PUSH_XML'
  /** `messageCrypto` options are malformed (`field` names the option). */
  | 'E_INVALID_CONFIG'
  /** The bridge holds no ticket for a JS-SDK signature and its source produced none. */
  | 'E_TICKET_MISSING'
  /** A helper needs a `wechatSource()`: the bridge's source is not one and `options.source` names none. */
  | 'E_NO_WECHAT_SOURCE'
  /** An option or argument is malformed. */
  | 'E_INVALID_ARGUMENT'
  /** An Open Platform helper needs `wechatSource({ openPlatform })`: the bridge's source configures no component. */
  | 'E_OPEN_PLATFORM_NOT_CONFIGURED'
  /** A push or call names a component (third-party platform) the source does not configure. `field` names it. */
  | 'E_UNKNOWN_COMPONENT'
  /** The appid is neither configured in `apps` nor authorised to any of the deployment's components. */
  | 'E_AUTHORIZER_UNKNOWN'
  /** The account is authorised to two or more of the deployment's components: say which (`componentAppid`). */
  | 'E_AUTHORIZER_AMBIGUOUS'
  /**
   * The platform refused the account's refresh token (61023) and `api_get_authorizer_list` had no other: the account
   * must authorise again. No platform call is made for it until it does (an `authorized` push clears this).
   */
  | 'E_AUTHORIZER_REAUTHORIZE'
  /** Every verify ticket held is older than 12 h, or refused (61005 / 61006): pushes have stopped arriving. */
  | 'E_COMPONENT_TICKET_EXPIRED'
  /**
   * WeCom refused the suite's newest pushed suite_ticket (40085 on `get_suite_token`): no suite token until the next
   * `suite_ticket` push (every 10 minutes) replaces it. The ticket is never quoted.
   */
  | 'E_SUITE_TICKET_REFUSED'

export interface WechatErrorOptions extends BridgeErrorOptions {
  appid?: string | undefined
  /** The request URL, already redacted. */
  url?: string | undefined
  /** HTTP status, when the platform answered one. */
  status?: number | undefined
}

/** Shared by every copy of this package (ESM and CJS builds): see `WechatError[Symbol.hasInstance]`. */
const brand = errorBrand('wechat-error')

/** Every error this package throws on purpose. Messages and fields never hold a secret or a credential. */
export class WechatError extends BridgeError<WechatErrorCode> {
  override name = 'WechatError'
  readonly appid: string | undefined
  /** The request URL with every secret query value masked. */
  readonly url: string | undefined
  readonly status: number | undefined

  constructor(code: WechatErrorCode, message: string, options: WechatErrorOptions = {}) {
    super(code, message, options)
    this.appid = options.appid
    this.url = options.url
    this.status = options.status
    brand.mark(this)
  }

  /**
   * `instanceof WechatError` / `instanceof PlatformApiError` recognise the errors of another copy of the package
   * (an app that `import`s it while a dependency `require`s it) by brand and code, not by class identity.
   */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    // biome-ignore lint/complexity/noThisInStatic lint/complexity/noUselessThisAlias: `this` is the class `instanceof` was asked about (a subclass too)
    const asked: unknown = this
    if (asked === WechatError) return brand.has(value)
    if (asked === PlatformApiError) return brand.has(value, 'E_PLATFORM_API')
    return Function.prototype[Symbol.hasInstance].call(asked, value)
  }

  override toJSON(): ReturnType<BridgeError<WechatErrorCode>['toJSON']> & {
    appid?: string
    url?: string
    status?: number
  } {
    return {
      ...super.toJSON(),
      ...(this.appid !== undefined ? { appid: this.appid } : {}),
      ...(this.url !== undefined ? { url: this.url } : {}),
      ...(this.status !== undefined ? { status: this.status } : {}),
    }
  }
}

/**
 * The platform answered `errcode != 0`. `category` says what to do about it; when the platform refused the
 * caller's IP (40164, 61004, 60020, 89503, …), `ipDiagnosis` says which IP it saw and where it belongs, and the
 * message ends with that advice.
 */
export class PlatformApiError extends WechatError {
  override name = 'PlatformApiError'
  readonly errcode: number
  readonly errmsg: string
  readonly category: ErrcodeCategory
  /** For an IP refusal: the IP the platform saw (from the errmsg), which whitelist it belongs on, what to do. */
  readonly ipDiagnosis: IpDiagnosis | undefined

  constructor(details: {
    errcode: number
    errmsg: string
    category: ErrcodeCategory
    appid: string
    url: string
    endpoint: string
  }) {
    const ipDiagnosis = diagnoseIp(details.errcode, details.errmsg)
    super(
      'E_PLATFORM_API',
      `${details.endpoint} failed for appid ${details.appid}: errcode ${details.errcode} (${details.category}): ${details.errmsg}${
        ipDiagnosis !== undefined ? ` — ${ipDiagnosis.advice}` : ''
      }`,
      {
        appid: details.appid,
        url: details.url,
      },
    )
    this.errcode = details.errcode
    this.errmsg = details.errmsg
    this.category = details.category
    this.ipDiagnosis = ipDiagnosis
  }

  override toJSON(): ReturnType<WechatError['toJSON']> & {
    errcode: number
    errmsg: string
    category: ErrcodeCategory
    ipDiagnosis?: IpDiagnosis
  } {
    return {
      ...super.toJSON(),
      errcode: this.errcode,
      errmsg: this.errmsg,
      category: this.category,
      ...(this.ipDiagnosis !== undefined ? { ipDiagnosis: this.ipDiagnosis } : {}),
    }
  }
}

/** Is `error` one of this package's errors (from any copy of it), optionally with the given code? */
export function isWechatError(error: unknown, code?: WechatErrorCode): error is WechatError {
  return brand.has(error, code)
}

export function invalidArgument(field: string, message: string): WechatError {
  return new WechatError('E_INVALID_ARGUMENT', `${field} ${message}`, { field })
}
