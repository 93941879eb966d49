import type { CredentialBridge } from '@open-bridge/core'
import { Option, type Command } from 'commander'
import { loadConfig } from '../config/load-config.js'
import type { ServiceApp } from '../config/service-config.js'
import { openConfiguredBridge } from '../configured-bridge.js'
import { ServerError } from '../errors.js'
import { usage } from './credential-key.js'

/** The options of quota, clear-quota and rid. */
export interface OperatorOptions {
  config?: string
  uniConfigCenter?: string
  platform?: string
  remote?: string
  json?: boolean
}

/** A configured WeChat app and a bridge over the config's tiers, as serve builds it. */
export interface OperatorApp {
  app: Pick<ServiceApp, 'appid' | 'platform' | 'dcloudAppid'>
  key: { appid: string; platform: ServiceApp['platform'] }
  bridge: CredentialBridge
  /** `weixin-mp wx123 (__UNI__A)`: how messages name it. */
  label: string
  close(): Promise<void>
}

const WECHAT_PLATFORMS = ['weixin-mp', 'weixin-h5', 'weixin-web', 'weixin-app'] as const

/** Adds the options every operator command takes. */
export function operatorOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file, loaded as serve loads it')
    .option('--uni-config-center <dir>', "a uniCloud project's uni-config-center directory")
    .addOption(
      new Option('--platform <platform>', 'which app, when <app> (a dcloudAppid) names several').choices([
        ...WECHAT_PLATFORMS,
      ]),
    )
    .addOption(new Option('--remote <url>', 'not taken: these commands run where the config is').hideHelp())
    .option('--json', 'one JSON document on stdout (errors too, besides the stderr line)')
}

/**
 * The app `<app>` names — its appid, or its dcloudAppid (with `--platform` when that names several) — among the
 * config's WeChat apps, and a bridge over the config (its tiers, its source): a token the command needs is read
 * through the tiers (and fetched once for the deployment), exactly as the service would.
 *
 * Local only: the commands need the app's secret (clear-quota) or access_token, which live where the config is;
 * the central service has no route that spends one of an account's 10 monthly quota resets.
 */
export async function openOperatorApp(text: string, options: OperatorOptions): Promise<OperatorApp> {
  if (options.remote !== undefined)
    usage(
      'quota, clear-quota and rid run against a config (they use the app’s secret or token), not --remote: run them where the service’s config is',
    )
  if (text.trim() === '') usage('<app> must be an appid or a dcloudAppid')
  const config = await loadConfig({ configPath: options.config, uniConfigCenter: options.uniConfigCenter })
  const wechat = config.apps.filter((app) => app.platform.startsWith('weixin-'))
  const named = wechat.filter(
    (app) =>
      (app.appid === text || app.dcloudAppid === text) &&
      (options.platform === undefined || app.platform === options.platform),
  )
  if (named.length === 0) {
    const known = wechat.map((app) => `${app.platform} ${app.appid}`).join(', ') || 'none'
    throw new ServerError(
      'E_UNKNOWN_APP',
      `no configured WeChat app is ${options.platform !== undefined ? `${options.platform} ` : ''}${text} (configured WeChat apps: ${known})`,
      { field: 'app' },
    )
  }
  if (named.length > 1) {
    usage(
      `${text} names ${named.length} apps (${named.map((a) => `${a.platform} ${a.appid}`).join(', ')}): add --platform`,
    )
  }
  const app = named[0]!
  const { bridge } = await openConfiguredBridge(config)
  return {
    app: { appid: app.appid, platform: app.platform, dcloudAppid: app.dcloudAppid },
    key: { appid: app.appid, platform: app.platform },
    bridge,
    label: `${app.platform} ${app.appid}${app.dcloudAppid !== undefined ? ` (${app.dcloudAppid})` : ''}`,
    close: () => bridge.close(),
  }
}
