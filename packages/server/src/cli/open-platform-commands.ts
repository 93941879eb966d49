import { rebuildAuthorizers, startPushTicket } from '@open-bridge/wechat-fetchers'
import { withConfiguredBridge } from '../configured-bridge.js'
import { usage } from './credential-key.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { Output } from './output.js'

/*
 * The Open Platform's own commands. Its kinds (component_verify_ticket, component_access_token,
 * authorizer_refresh_token, authorizer_home) are registered kinds: `get` / `set` / `remove` / `refresh` take them
 * like any other (credential-commands.ts), with `--component-appid` / `--authorizer-appid` for their key fields.
 */

export interface OpenPlatformCliOptions {
  config?: string
  uniConfigCenter?: string
  json?: boolean
}

const APPID = /^wx[0-9a-zA-Z]{14,30}$/

/**
 * `open-bridge open-platform rebuild <componentAppid>`: every account's refresh token and home rebuilt from
 * `api_get_authorizer_list` (a lost or stale one is written, durably). Prints the counts.
 */
export async function runRebuild(componentAppid: string, options: OpenPlatformCliOptions): Promise<ExitCode> {
  const output = new Output(options.json === true)
  try {
    const component = appidOf(componentAppid, '<componentAppid>')
    const counts = await withConfiguredBridge(configOf(options), (bridge) => rebuildAuthorizers(bridge, component))
    output.result({ command: 'open-platform rebuild', componentAppid: component, ...counts }, [
      `component ${component}: ${counts.total} authorised account(s) listed by WeChat`,
      `  written    ${counts.written} (refresh token or home missing or different, now stored)`,
      `  unchanged  ${counts.unchanged}`,
    ])
    return EXIT.ok
  } catch (error) {
    return output.fail(error)
  }
}

/** `open-bridge open-platform start-push <componentAppid>`: asks WeChat to resume pushing verify tickets. */
export async function runStartPush(componentAppid: string, options: OpenPlatformCliOptions): Promise<ExitCode> {
  const output = new Output(options.json === true)
  try {
    const component = appidOf(componentAppid, '<componentAppid>')
    await withConfiguredBridge(configOf(options), (bridge) => startPushTicket(bridge, component))
    output.result({ command: 'open-platform start-push', componentAppid: component, done: true }, [
      `component ${component}: WeChat asked to resume pushing component_verify_ticket (api_start_push_ticket);`,
      '  the next one arrives at POST /open-platform/<componentAppid>/events within minutes — watch `open-bridge doctor`',
    ])
    return EXIT.ok
  } catch (error) {
    return output.fail(error)
  }
}

function configOf(options: OpenPlatformCliOptions): {
  configPath: string | undefined
  uniConfigCenter: string | undefined
} {
  return { configPath: options.config, uniConfigCenter: options.uniConfigCenter }
}

function appidOf(value: string, flag: string): string {
  if (!APPID.test(value)) return usage(`${flag} must be a WeChat appid (wx followed by 14–30 letters or digits)`)
  return value
}
