import type { CredentialBridge } from '@open-bridge/core'
import {
  authorizerHome,
  authorizerRefreshToken,
  componentAccessToken,
  componentVerifyTicket,
  rebuildAuthorizers,
  startPushTicket,
} from '@open-bridge/wechat-fetchers'
import { loadConfig } from '../config/load-config.js'
import { openConfiguredBridge } from '../configured-bridge.js'
import { usage } from './credential-key.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { Output, credentialLines } from './output.js'

/** The Open Platform's kinds the CLI takes, by every spelling `get` / `refresh` accept, and the key each needs. */
const OPEN_PLATFORM_KINDS = {
  component_verify_ticket: { definition: componentVerifyTicket, authorizer: false, refreshable: false },
  component_access_token: { definition: componentAccessToken, authorizer: false, refreshable: true },
  authorizer_refresh_token: { definition: authorizerRefreshToken, authorizer: true, refreshable: false },
  authorizer_home: { definition: authorizerHome, authorizer: true, refreshable: false },
} as const
export type OpenPlatformKind = keyof typeof OPEN_PLATFORM_KINDS

/** `component-access-token`, `ComponentAccessToken`, `component_access_token` → the kind; undefined for others. */
export function parseOpenPlatformKind(text: string): OpenPlatformKind | undefined {
  const wanted = text.toLowerCase().replace(/[-_]/g, '')
  return (Object.keys(OPEN_PLATFORM_KINDS) as OpenPlatformKind[]).find((kind) => kind.replace(/_/g, '') === wanted)
}

export interface OpenPlatformCliOptions {
  config?: string
  uniConfigCenter?: string
  remote?: string
  componentAppid?: string
  authorizerAppid?: string
  appid?: string
  json?: boolean
  showValue?: boolean
  ifValue?: string
}

const APPID = /^wx[0-9a-zA-Z]{14,30}$/

/**
 * `get` / `refresh` of an Open Platform kind, on the config's tiers (the service has no HTTP route for them: they
 * are its own business). `--component-appid` names the component; the authorizer kinds take `--authorizer-appid`
 * (`authorizer_home` only that). An authorised account's access token is the `access_token` kind:
 * `get access_token --appid <authorizer> --platform weixin-h5`.
 */
export async function runOpenPlatformCredential(
  operation: 'get' | 'refresh' | 'set' | 'remove',
  kind: OpenPlatformKind,
  options: OpenPlatformCliOptions,
): Promise<ExitCode> {
  const output = new Output(options.json === true)
  let bridge: CredentialBridge | undefined
  try {
    const spec = OPEN_PLATFORM_KINDS[kind]
    if (options.remote !== undefined)
      usage(`${kind} is read on the service's own tiers: run this with --config, not --remote`)
    if (operation !== 'get' && operation !== 'refresh')
      usage(`${kind}: only get and refresh (pushes and authorisations write it; rebuild restores refresh tokens)`)
    if (operation === 'refresh' && !spec.refreshable)
      usage(
        `${kind} cannot be refreshed (${kind === 'component_verify_ticket' ? 'WeChat pushes it; `open-bridge open-platform start-push` asks for pushes' : 'only component_access_token is fetched'})`,
      )
    const key: Record<string, string> = {}
    if (kind !== 'authorizer_home') key.componentAppid = appidOf(options.componentAppid, '--component-appid')
    if (spec.authorizer) key.authorizerAppid = appidOf(options.authorizerAppid ?? options.appid, '--authorizer-appid')
    bridge = (
      await openConfiguredBridge(
        await loadConfig({ configPath: options.config, uniConfigCenter: options.uniConfigCenter }),
      )
    ).bridge
    const handle = bridge.credential(spec.definition as never) as {
      refresh(key: object, options?: { ifValue?: string }): Promise<object | null>
    }
    if (operation === 'refresh')
      await handle.refresh(key, options.ifValue !== undefined ? { ifValue: options.ifValue } : {})
    let record: { value: object; expiresAt: number | null } | null
    try {
      record = await bridge.getRecord(spec.definition.name as never, key as never)
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'E_PUSHED_MISSING') throw error
      record = null
    }
    const doc: Record<string, unknown> = { command: operation, mode: 'config', kind, key }
    const title = `${kind} ${Object.values(key).join(' ')}`
    if (record === null) {
      output.result({ ...doc, found: false }, [`${title}: not held`])
      return EXIT.notFound
    }
    const facts = {
      fields: Object.keys(record.value),
      expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString(),
      expiresInSeconds: record.expiresAt === null ? null : Math.round((record.expiresAt - Date.now()) / 1000),
    }
    const shown = options.showValue === true ? { value: record.value } : {}
    output.result({ ...doc, found: true, ...facts, ...shown }, [
      `${title}: held`,
      ...credentialLines(facts),
      ...(options.showValue === true ? [`  value        ${JSON.stringify(record.value)}`] : []),
    ])
    return EXIT.ok
  } catch (error) {
    return output.fail(error)
  } finally {
    await bridge?.close().catch(() => undefined)
  }
}

/**
 * `open-bridge open-platform rebuild <componentAppid>`: every account's refresh token and home rebuilt from
 * `api_get_authorizer_list` (a lost or stale one is written, durably). Prints the counts.
 */
export async function runRebuild(componentAppid: string, options: OpenPlatformCliOptions): Promise<ExitCode> {
  const output = new Output(options.json === true)
  let bridge: CredentialBridge | undefined
  try {
    const component = appidOf(componentAppid, '<componentAppid>')
    bridge = (
      await openConfiguredBridge(
        await loadConfig({ configPath: options.config, uniConfigCenter: options.uniConfigCenter }),
      )
    ).bridge
    const counts = await rebuildAuthorizers(bridge, component)
    output.result({ command: 'open-platform rebuild', componentAppid: component, ...counts }, [
      `component ${component}: ${counts.total} authorised account(s) listed by WeChat`,
      `  written    ${counts.written} (refresh token or home missing or different, now stored)`,
      `  unchanged  ${counts.unchanged}`,
    ])
    return EXIT.ok
  } catch (error) {
    return output.fail(error)
  } finally {
    await bridge?.close().catch(() => undefined)
  }
}

/** `open-bridge open-platform start-push <componentAppid>`: asks WeChat to resume pushing verify tickets. */
export async function runStartPush(componentAppid: string, options: OpenPlatformCliOptions): Promise<ExitCode> {
  const output = new Output(options.json === true)
  let bridge: CredentialBridge | undefined
  try {
    const component = appidOf(componentAppid, '<componentAppid>')
    bridge = (
      await openConfiguredBridge(
        await loadConfig({ configPath: options.config, uniConfigCenter: options.uniConfigCenter }),
      )
    ).bridge
    await startPushTicket(bridge, component)
    output.result({ command: 'open-platform start-push', componentAppid: component, done: true }, [
      `component ${component}: WeChat asked to resume pushing component_verify_ticket (api_start_push_ticket);`,
      '  the next one arrives at POST /open-platform/<componentAppid>/events within minutes — watch `open-bridge doctor`',
    ])
    return EXIT.ok
  } catch (error) {
    return output.fail(error)
  } finally {
    await bridge?.close().catch(() => undefined)
  }
}

function appidOf(value: string | undefined, flag: string): string {
  if (value === undefined) return usage(`${flag} is required (a WeChat appid, wx…)`)
  if (!APPID.test(value)) return usage(`${flag} must be a WeChat appid (wx followed by 14–30 letters or digits)`)
  return value
}
