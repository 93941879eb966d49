import { PLATFORMS, type Platform } from './credentials.js'
import { BridgeError, describeType } from './errors.js'

/** One app on one platform, as configured in `createBridge({ apps })`. */
export interface AppConfig {
  /** The uni-app application id, so keys can name the app as uni-open-bridge does. */
  dcloudAppid?: string | undefined
  platform: Platform
  /** The platform appid (`wx…` for WeChat). */
  appid: string
  /** The appsecret. Only sources read it; it never appears in an error, an event or a log. */
  secret?: string | undefined
}

const platformSet: ReadonlySet<string> = new Set(PLATFORMS)

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && platformSet.has(value)
}

/**
 * The configured apps, indexed both ways: `dcloudAppid` + platform → app (to resolve keys) and
 * platform + appid → app (so a source finds the secret for a key given by appid).
 */
export class AppRegistry {
  readonly #byDcloud = new Map<string, Map<Platform, AppConfig>>()
  readonly #byAppid = new Map<string, AppConfig>()

  constructor(apps: readonly AppConfig[] = []) {
    if (!Array.isArray(apps))
      throw new BridgeError('E_INVALID_CONFIG', `apps must be an array, got ${describeType(apps)}`, { field: 'apps' })
    apps.forEach((input, i) => {
      const app = validateApp(input, `apps[${i}]`)
      const appidKey = `${app.platform}:${app.appid}`
      if (this.#byAppid.has(appidKey)) {
        throw new BridgeError('E_INVALID_CONFIG', `apps[${i}] repeats appid of platform ${app.platform}`, {
          field: `apps[${i}].appid`,
        })
      }
      this.#byAppid.set(appidKey, app)
      if (app.dcloudAppid !== undefined) {
        let platforms = this.#byDcloud.get(app.dcloudAppid)
        if (!platforms) {
          platforms = new Map()
          this.#byDcloud.set(app.dcloudAppid, platforms)
        }
        if (platforms.has(app.platform)) {
          throw new BridgeError(
            'E_INVALID_CONFIG',
            `apps[${i}] repeats dcloudAppid ${app.dcloudAppid} on platform ${app.platform}`,
            {
              field: `apps[${i}].dcloudAppid`,
            },
          )
        }
        platforms.set(app.platform, app)
      }
    })
  }

  /** The app a dcloudAppid names on a platform. */
  byDcloudAppid(dcloudAppid: string, platform: Platform): AppConfig | undefined {
    return this.#byDcloud.get(dcloudAppid)?.get(platform)
  }

  /** The app a platform appid names. */
  byAppid(platform: Platform, appid: string): AppConfig | undefined {
    return this.#byAppid.get(`${platform}:${appid}`)
  }
}

function validateApp(input: unknown, at: string): AppConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BridgeError('E_INVALID_CONFIG', `${at} must be an object, got ${describeType(input)}`, { field: at })
  }
  const app = input as Record<string, unknown>
  if (!isPlatform(app.platform)) {
    throw new BridgeError('E_INVALID_CONFIG', `${at}.platform must be one of ${PLATFORMS.join(', ')}`, {
      field: `${at}.platform`,
    })
  }
  for (const field of ['appid', 'dcloudAppid', 'secret'] as const) {
    const value = app[field]
    const required = field === 'appid'
    if (value === undefined && !required) continue
    if (typeof value !== 'string' || value.length === 0) {
      throw new BridgeError(
        'E_INVALID_CONFIG',
        `${at}.${field} must be a non-empty string, got ${describeType(value)}`,
        { field: `${at}.${field}` },
      )
    }
  }
  if ((app.appid as string).includes(':')) {
    // It becomes a segment of every storage key, which ':' separates.
    throw new BridgeError('E_INVALID_CONFIG', `${at}.appid must not contain ':'`, { field: `${at}.appid` })
  }
  // A frozen copy: later edits to the caller's array change nothing, and sources cannot alter config.
  return Object.freeze({
    platform: app.platform,
    appid: app.appid as string,
    dcloudAppid: app.dcloudAppid as string | undefined,
    secret: app.secret as string | undefined,
  })
}
