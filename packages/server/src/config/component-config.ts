import { isWechatError, messageCrypto } from '@open-bridge/wechat-fetchers'
import { invalidConfig } from '../errors.js'
import type { ConfigFileComponent } from './config-file.js'
import { resolveSecret } from './secret-ref.js'
import { maskInViews } from './secret-view.js'

/** A third-party platform (component) with its secrets resolved; views (inspect, JSON) mask the three secrets. */
export interface ServiceComponent {
  componentAppid: string
  componentSecret: string
  /** The push Token: only ever hashed. */
  token: string
  /** The EncodingAESKey (43 characters of base64). */
  encodingAESKey: string
  /** This service's public URL, without a trailing `/` (the authorize route's callback is under it). */
  publicUrl?: string | undefined
  /** Origins `redirect_uri` may be on. */
  redirectOrigins?: string[] | undefined
  /** Where it was configured, for messages: `openPlatform[0]`. */
  field: string
}

/**
 * The file's `openPlatform`, each secret read (`{ "env": "NAME" }` from the environment) and checked now: a Token or
 * EncodingAESKey WeChat would not accept fails at start naming the field (`openPlatform[1].encodingAESKey`), never the
 * value; a component configured twice is refused.
 */
export function resolveComponents(
  raw: readonly ConfigFileComponent[] | undefined,
  env: NodeJS.ProcessEnv,
): ServiceComponent[] {
  const seen = new Map<string, string>()
  return (raw ?? []).map((entry, i) => {
    const field = `openPlatform[${i}]`
    const first = seen.get(entry.componentAppid)
    if (first !== undefined)
      throw invalidConfig(`${field}.componentAppid`, `configures this component again (first at ${first})`)
    seen.set(entry.componentAppid, field)
    const component: ServiceComponent = {
      componentAppid: entry.componentAppid,
      componentSecret: resolveSecret(entry.componentSecret, `${field}.componentSecret`, env),
      token: resolveSecret(entry.token, `${field}.token`, env),
      encodingAESKey: resolveSecret(entry.encodingAESKey, `${field}.encodingAESKey`, env),
      publicUrl: entry.publicUrl === undefined ? undefined : publicUrlOf(entry.publicUrl, `${field}.publicUrl`),
      redirectOrigins: entry.redirectOrigins?.map((origin, j) => originOf(origin, `${field}.redirectOrigins[${j}]`)),
      field,
    }
    try {
      messageCrypto({
        token: component.token,
        encodingAESKey: component.encodingAESKey,
        receiveId: component.componentAppid,
      })
    } catch (error) {
      if (!isWechatError(error, 'E_INVALID_CONFIG')) throw error
      throw error.field === 'encodingAESKey'
        ? invalidConfig(
            `${field}.encodingAESKey`,
            'must be the EncodingAESKey set on the platform: 43 characters of base64',
          )
        : invalidConfig(`${field}.token`, 'must be the push Token set on the platform: 1–128 visible ASCII characters')
    }
    return maskInViews(component, ['componentSecret', 'token', 'encodingAESKey'])
  })
}

function httpUrl(value: string, field: string, what: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalidConfig(field, `must be ${what}`)
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '')
    throw invalidConfig(field, `must be ${what}`)
  return url
}

function publicUrlOf(value: string, field: string): string {
  const url = httpUrl(value, field, 'an absolute http(s) URL without credentials, query or fragment')
  if (url.search !== '' || url.hash !== '')
    throw invalidConfig(field, 'must be an absolute http(s) URL without credentials, query or fragment')
  return url.href.replace(/\/+$/, '')
}

function originOf(value: string, field: string): string {
  const url = httpUrl(value, field, 'an origin: http(s)://host[:port]')
  if (url.origin !== value.replace(/\/$/, '')) throw invalidConfig(field, 'must be an origin: http(s)://host[:port]')
  return url.origin
}
