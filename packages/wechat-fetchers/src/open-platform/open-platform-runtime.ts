import { isPlainObject, quoteValue, type CredentialBridge } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import type { PlatformClient } from '../platform-client.js'
import { isTokenRejected } from '../with-access-token.js'
import {
  checkComponentCredentials,
  componentApiOver,
  type AuthorizerListEntry,
  type ComponentApi,
  type ComponentCredentials,
} from './component-api.js'
import { componentAccessToken } from './kinds.js'
import { OpenPlatformEvents } from './open-platform-events.js'

/** `wechatSource({ openPlatform })`: the deployment's third-party platforms (components). */
export interface OpenPlatformOptions {
  /** Each component's appid and secret (the push Token and EncodingAESKey stay with the push receiver). */
  components: ComponentCredentials[]
  /**
   * How long one `api_get_authorizer_list` scan (all pages) answers the recoveries that follow it, in ms: many
   * refresh tokens lost at once (a Redis restarted without persistence) cost one scan per component, not one each.
   * Default 10000.
   */
  recoveryReuseMs?: number
}

/** What `api_get_authorizer_list` said, by authorizer appid, and when. */
interface ListScan {
  readonly at: number
  readonly entries: ReadonlyMap<string, AuthorizerListEntry>
}

/**
 * A source's Open Platform family: one component API per configured component (over the source's own client), the
 * family's events, and the shared authorizer-list scans. Reached by the helpers through source-internals.ts.
 */
export class OpenPlatformRuntime {
  readonly events = new OpenPlatformEvents()
  readonly expiryMarginSeconds: number
  readonly #apis = new Map<string, ComponentApi>()
  readonly #reuseMs: number
  readonly #scans = new Map<string, ListScan>()
  readonly #scanning = new Map<string, Promise<ListScan>>()

  constructor(options: OpenPlatformOptions, client: PlatformClient, expiryMarginSeconds: number) {
    if (!isPlainObject(options)) throw invalidArgument('openPlatform', 'must be { components: [...] }')
    const { components, recoveryReuseMs = 10_000 } = options
    if (!Array.isArray(components) || components.length === 0)
      throw invalidArgument(
        'openPlatform.components',
        'must be a non-empty array of { componentAppid, componentSecret }',
      )
    components.forEach((component, i) => {
      const checked = checkComponentCredentials(component, `openPlatform.components[${i}].`)
      if (this.#apis.has(checked.componentAppid))
        throw invalidArgument(`openPlatform.components[${i}].componentAppid`, 'repeats a component')
      this.#apis.set(checked.componentAppid, componentApiOver(client, checked, false))
    })
    if (typeof recoveryReuseMs !== 'number' || !Number.isFinite(recoveryReuseMs) || recoveryReuseMs < 0)
      throw invalidArgument('openPlatform.recoveryReuseMs', 'must be a number of milliseconds ≥ 0')
    this.#reuseMs = recoveryReuseMs
    this.expiryMarginSeconds = expiryMarginSeconds
  }

  /** The configured components' appids, in configuration order. */
  get componentAppids(): string[] {
    return [...this.#apis.keys()]
  }

  /** The component API of a configured component, else `E_UNKNOWN_COMPONENT` naming `field`. */
  api(componentAppid: unknown, field = 'componentAppid'): ComponentApi {
    const api = typeof componentAppid === 'string' ? this.#apis.get(componentAppid) : undefined
    if (api === undefined) {
      throw new WechatError(
        'E_UNKNOWN_COMPONENT',
        `${field} ${quoteValue(componentAppid)} is not one of the configured components (wechatSource({ openPlatform: { components } }))`,
        { field },
      )
    }
    return api
  }

  /**
   * Runs `call` with the component's access token, read through the bridge (one fetch per deployment). A token
   * the platform rejects (40001 / 42001 / 40014) is replaced once by compare-and-refresh and the call made again.
   */
  async withComponentToken<T>(
    bridge: CredentialBridge,
    componentAppid: string,
    call: (token: string) => Promise<T>,
  ): Promise<T> {
    const handle = bridge.credential(componentAccessToken)
    const first = await handle.get({ componentAppid })
    if (first === null) throw noComponentToken(componentAppid)
    try {
      return await call(first.component_access_token)
    } catch (error) {
      if (!isTokenRejected(error)) throw error
      const next = await handle.refresh({ componentAppid }, { ifValue: first.component_access_token })
      if (next === null) throw noComponentToken(componentAppid)
      return call(next.component_access_token)
    }
  }

  /**
   * Every account authorised to the component with its refresh token (`api_get_authorizer_list`, all pages). A scan
   * younger than `recoveryReuseMs` answers again (one in flight per component); `fresh` asks the platform anew.
   */
  async authorizerList(
    bridge: CredentialBridge,
    componentAppid: string,
    fresh = false,
  ): Promise<ReadonlyMap<string, AuthorizerListEntry>> {
    const api = this.api(componentAppid)
    const recent = this.#scans.get(componentAppid)
    if (!fresh && recent !== undefined && Date.now() - recent.at <= this.#reuseMs) return recent.entries
    let running = this.#scanning.get(componentAppid)
    if (running === undefined) {
      running = this.withComponentToken(bridge, componentAppid, (token) => api.allAuthorizers(token))
        .then((list) => {
          const scan: ListScan = {
            at: Date.now(),
            entries: new Map(list.map((entry) => [entry.authorizerAppid, entry])),
          }
          this.#scans.set(componentAppid, scan)
          return scan
        })
        .finally(() => this.#scanning.delete(componentAppid))
      this.#scanning.set(componentAppid, running)
    }
    return (await running).entries
  }

  /** Forgets the scans (after an authorisation changes what the platform would list). */
  forgetScans(componentAppid: string): void {
    this.#scans.delete(componentAppid)
  }
}

function noComponentToken(componentAppid: string): WechatError {
  return new WechatError(
    'E_COMPONENT_TICKET_EXPIRED',
    `no component_access_token could be had for component ${componentAppid}`,
    {
      appid: componentAppid,
    },
  )
}
