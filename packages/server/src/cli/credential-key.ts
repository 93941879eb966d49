import { isPlainObject, PLATFORMS, resolveKindKey, TICKET_TYPES, type RegisteredKind } from '@open-bridge/core'
import { ServerError } from '../errors.js'
import type { RouteKind } from '@open-bridge/remote'

/** A credential key as the bridge and the HTTP routes take it (uni-open-bridge's body fields). */
export interface CliKey {
  platform: string
  appid?: string
  dcloudAppid?: string
  openid?: string
  version?: number
  ticketType?: string
}

/** The key options every credential command has. `key` is the whole key as one JSON object instead. */
export interface KeyOptions {
  key?: string
  /** Open Platform kinds' key fields, as flags (the others are given in `--key`). */
  componentAppid?: string
  authorizerAppid?: string
  platform?: string
  appid?: string
  dcloudAppid?: string
  openid?: string
  version?: string
  ticketType?: string
}

const USER_KINDS: ReadonlySet<RouteKind> = new Set(['user_access_token', 'session_key', 'encrypt_key'])
const KEY_FIELDS = ['platform', 'appid', 'dcloudAppid', 'openid', 'version', 'ticketType'] as const
const FLAG: Record<(typeof KEY_FIELDS)[number], string> = {
  platform: '--platform',
  appid: '--appid',
  dcloudAppid: '--dcloud-appid',
  openid: '--openid',
  version: '--version',
  ticketType: '--ticket-type',
}

/**
 * The key from `--appid` / `--dcloud-appid` / `--platform` / `--openid` / `--version` / `--ticket-type`, or from
 * `--key '<json>'`. Checks what a shell user gets wrong (a missing field, a field the kind does not take) and names
 * the flag; the bridge (or the server) checks the rest. Messages never quote what was typed.
 */
export function keyFromOptions(kind: RouteKind, options: KeyOptions): CliKey {
  const fromJson = options.key !== undefined
  const raw: Record<string, unknown> = fromJson ? parseKeyJson(options.key!) : flagsOf(options)
  const name = (field: (typeof KEY_FIELDS)[number]) => (fromJson ? `--key .${field}` : FLAG[field])
  for (const field of Object.keys(raw)) {
    if (!(KEY_FIELDS as readonly string[]).includes(field))
      usage(`--key has an unknown field '${field}' (known: ${KEY_FIELDS.join(', ')})`)
  }
  const text = (field: (typeof KEY_FIELDS)[number]): string | undefined => {
    const value = raw[field]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || value.length === 0) usage(`${name(field)} must be a non-empty string`)
    return value as string
  }
  const platform = text('platform')
  if (platform === undefined) usage(`${name('platform')} is required (one of ${PLATFORMS.join(', ')})`)
  if (!(PLATFORMS as readonly string[]).includes(platform!))
    usage(`${name('platform')} must be one of ${PLATFORMS.join(', ')}`)
  const key: CliKey = { platform: platform! }
  const appid = text('appid')
  const dcloudAppid = text('dcloudAppid')
  if (appid === undefined && dcloudAppid === undefined) usage(`${name('appid')} or ${name('dcloudAppid')} is required`)
  if (appid !== undefined) key.appid = appid
  if (dcloudAppid !== undefined) key.dcloudAppid = dcloudAppid

  const openid = text('openid')
  if (USER_KINDS.has(kind)) {
    if (openid === undefined) usage(`${name('openid')} is required for ${kind}`)
    key.openid = openid!
  } else if (openid !== undefined) usage(`${name('openid')} is not part of a ${kind} key`)

  const version = raw.version
  if (kind === 'encrypt_key') {
    if (version === undefined) usage(`${name('version')} is required for encrypt_key (an integer ≥ 1)`)
    const n = typeof version === 'string' && /^\d{1,10}$/.test(version) ? Number(version) : version
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) usage(`${name('version')} must be an integer ≥ 1`)
    key.version = n as number
  } else if (version !== undefined) usage(`${name('version')} is only part of an encrypt_key key`)

  const ticketType = text('ticketType')
  if (kind === 'ticket') {
    if (ticketType !== undefined && !(TICKET_TYPES as readonly string[]).includes(ticketType)) {
      usage(`${name('ticketType')} must be one of ${TICKET_TYPES.join(', ')}`)
    }
    if (ticketType !== undefined) key.ticketType = ticketType
  } else if (ticketType !== undefined) usage(`${name('ticketType')} is only part of a ticket key`)
  return key
}

/** The flags that give a registered kind's key field, for the kinds that have the field. */
const REGISTERED_FLAGS: Readonly<Record<string, { option: 'componentAppid' | 'authorizerAppid'; flag: string }>> = {
  componentAppid: { option: 'componentAppid', flag: '--component-appid' },
  authorizerAppid: { option: 'authorizerAppid', flag: '--authorizer-appid' },
}

/**
 * The key of a registered kind: `--key '<json>'` with the kind's fields (`{"corpId":"ww…","agentId":"1000002"}`),
 * or for the Open Platform's fields their flags (`--component-appid`, `--authorizer-appid`; `--appid` for the
 * authorised account). Checked by the kind's own definition (core's `resolveKindKey`), before anything is opened;
 * a usage error names the flag or the `--key` field. Resolves the declared fields only.
 */
export function registeredKeyFromOptions(kind: RegisteredKind, options: KeyOptions): Record<string, unknown> {
  const name = kind.definition.name
  const fields = kind.fields
  const shape = `its key: ${fields.join(', ')}`
  const example = `{${fields.map((field) => `"${field}":"…"`).join(',')}}`
  let raw: Record<string, unknown>
  if (options.key !== undefined) {
    raw = parseJsonFlag(options.key, '--key', example)
    for (const field of Object.keys(raw)) {
      if (!fields.includes(field)) usage(`--key has a field '${field}' that is not part of a ${name} key (${shape})`)
    }
  } else {
    raw = {}
    for (const field of fields) {
      const spec = REGISTERED_FLAGS[field]
      // The authorised account may also be named by --appid (it is an app, as `get access_token` names it).
      const value =
        spec === undefined
          ? undefined
          : (options[spec.option] ?? (field === 'authorizerAppid' ? options.appid : undefined))
      if (value !== undefined) raw[field] = value
    }
  }
  for (const field of KEY_FIELDS) {
    if (options[field] !== undefined && !(field === 'appid' && fields.includes('authorizerAppid')))
      usage(`${FLAG[field]} is not part of a ${name} key (${shape}; give it as --key '<json>')`)
  }
  for (const [field, spec] of Object.entries(REGISTERED_FLAGS)) {
    if (options[spec.option] !== undefined && !fields.includes(field))
      usage(`${spec.flag} is not part of a ${name} key (${shape})`)
  }
  try {
    return { ...resolveKindKey(kind, raw).fields }
  } catch (error) {
    const { code, field, message } = error as { code?: unknown; field?: unknown; message?: unknown }
    if (code !== 'E_INVALID_KEY' || typeof field !== 'string' || typeof message !== 'string') throw error
    // core's message names `key.<field>`: name what the user typed instead.
    const keyField = field.replace(/^key\.?/, '')
    const flag = REGISTERED_FLAGS[keyField]?.flag
    const byFlag = options.key === undefined && flag !== undefined
    const shown = byFlag ? flag! : `--key .${keyField}`
    const why = message.startsWith(`${field} `) ? message.slice(field.length + 1) : message
    const missing = raw[keyField] === undefined
    return usage(
      missing
        ? `${shown} is required for ${name} (${shape}${byFlag ? '' : `; e.g. --key '${example}'`})`
        : `${shown} ${why}`,
    )
  }
}

function flagsOf(options: KeyOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of KEY_FIELDS) if (options[field] !== undefined) out[field] = options[field]
  return out
}

function parseKeyJson(text: string): Record<string, unknown> {
  return parseJsonFlag(text, '--key', '{"dcloudAppid":"__UNI__A1B2C3","platform":"weixin-mp"}')
}

/** A JSON object given on the command line (`--value`); never quoted back in a message: it is a credential. */
export function parseValueJson(text: string, flag: string): Record<string, unknown> {
  return parseJsonFlag(text, flag, '{"access_token":"…"}')
}

/**
 * The JSON object of a command-line flag, or a usage error naming the flag with an `example`. JSON.parse's own
 * message is never shown: it quotes the input, which may be a credential.
 */
function parseJsonFlag(text: string, flag: string, example: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return usage(`${flag} is not valid JSON (e.g. '${example}')`)
  }
  if (!isPlainObject(parsed)) return usage(`${flag} must be a JSON object`)
  return parsed
}

/** `--expires-in`: seconds > 0, or -1 for never. */
export function parseExpiresIn(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN
  if (!(n > 0 || n === -1) || !Number.isFinite(n))
    usage('--expires-in must be a number of seconds > 0, or -1 for never')
  return n
}

export function usage(message: string): never {
  throw new ServerError('E_USAGE', message)
}
