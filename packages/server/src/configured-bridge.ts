import {
  combineSources,
  createBridge,
  type BridgeOptions,
  type CredentialBridge,
  type CredentialSource,
  type CredentialStore,
} from '@open-bridge/core'
import {
  wechatSource,
  wecomSource,
  type WechatSource,
  type WechatSourceOptions,
  type WecomSource,
} from '@open-bridge/wechat-fetchers'
import { loadConfig, type LoadConfigOptions } from './config/load-config.js'
import { maskInViews } from './config/secret-view.js'
import { renamedConfigError } from './config/renamed-config-error.js'
import type { ServiceConfig } from './config/service-config.js'
import { createStores } from './config/store-url.js'

/**
 * The bridge a config describes — its tiers nearest first, its apps, the WeChat / QQ source — without HTTP or
 * scheduler: what `serve`, the CLI and the uni-open-bridge-common drop-in each run on. The bridge owns the tiers and
 * the source (`bridge.close()` closes them). On a failure whatever was opened is closed again and the error names
 * the field as the config file does (`wechat.baseUrl`, `refresh.lock.ttl`, `stores[1]`).
 */
export async function openConfiguredBridge(
  config: ServiceConfig,
): Promise<{ bridge: CredentialBridge; stores: CredentialStore[]; wecom?: WecomSource }> {
  let wechat: WechatSource
  try {
    wechat = wechatSource({ ...config.wechat, ...openPlatformOf(config) })
  } catch (error) {
    throw renamedConfigError(error, (field) =>
      field.startsWith('openPlatform.components')
        ? field.replace('openPlatform.components', 'openPlatform')
        : `wechat.${field}`,
    )
  }
  // WeCom beside WeChat: one source over both (its kinds are registered ones, WeChat's built in).
  let wecom: WecomSource | undefined
  if (config.wecom !== undefined) {
    try {
      wecom = wecomSource(config.wecom.source)
    } catch (error) {
      await wechat.close()
      throw renamedConfigError(error, (field) => `wecom.${field}`)
    }
  }
  const source: CredentialSource = wecom === undefined ? wechat : combineSources(wechat, wecom)
  let stores: CredentialStore[]
  try {
    stores = await createStores(config.stores)
  } catch (error) {
    await source.close?.()
    throw error
  }
  const apps = config.apps.map(({ tasks: _tasks, field: _field, ...app }) => app)
  try {
    // The refresh options go through as they are: core takes those it knows (see @open-bridge/core).
    const appsFrom = appsOrigin(config)
    const encryption = config.encryption !== undefined ? { encryption: config.encryption } : {}
    return {
      bridge: createBridge({ ...config.refresh, stores, apps, source, appsFrom, ...encryption } as BridgeOptions),
      stores,
      ...(wecom !== undefined ? { wecom } : {}),
    }
  } catch (error) {
    await Promise.allSettled([source.close?.(), ...stores.map((store) => store.close())])
    throw renamedConfigError(error, (field) => (field.split(/[.[]/)[0]! in config.refresh ? `refresh.${field}` : field))
  }
}

/**
 * Loads the config as `serve` does, opens its bridge, runs `work` on it and closes the bridge whatever happened: the
 * scaffolding of a command that does one thing on the configured tiers (`open-platform rebuild`, `start-push`).
 * Resolves what `work` resolved; rejects with the config's, the bridge's or `work`'s error.
 */
export async function withConfiguredBridge<T>(
  options: LoadConfigOptions,
  work: (bridge: CredentialBridge) => Promise<T>,
): Promise<T> {
  const { bridge } = await openConfiguredBridge(await loadConfig(options))
  try {
    return await work(bridge)
  } finally {
    await bridge.close().catch(() => undefined)
  }
}

/** Where the apps were read, for `E_UNKNOWN_APP`: the files (never their content) and what looking found. */
function appsOrigin(config: ServiceConfig): string {
  const { file, uniConfigCenter, files, discovery } = config.origin
  const read = files ?? [
    ...(file !== undefined ? [file] : []),
    ...(uniConfigCenter !== undefined ? [uniConfigCenter] : []),
  ]
  const parts = [read.length > 0 ? read.join(', ') : 'no config file and no uni-config-center directory']
  if (discovery !== undefined) parts.push(discovery)
  return parts.join('; ')
}

/** The source's `openPlatform` option from the config's components (their appids and secrets; the push keys stay here). */
function openPlatformOf(config: ServiceConfig): Pick<WechatSourceOptions, 'openPlatform'> {
  const components = config.openPlatform ?? []
  if (components.length === 0) return {}
  return {
    openPlatform: {
      components: components.map(({ componentAppid, componentSecret }) =>
        maskInViews({ componentAppid, componentSecret }, ['componentSecret']),
      ),
    },
  }
}
