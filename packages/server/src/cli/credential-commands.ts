import { readFileSync } from 'node:fs'
import type { RegisteredKind } from '@open-bridge/core'
import { MIN_SECRET_LENGTH, type RouteOperation } from '@open-bridge/remote'
import { ServerError } from '../errors.js'
import {
  keyFromOptions,
  parseExpiresIn,
  parseValueJson,
  registeredKeyFromOptions,
  usage,
  type CliKey,
  type KeyOptions,
} from './credential-key.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import {
  NOT_REFRESHABLE_HINTS,
  REFRESHABLE_KINDS,
  parseKind,
  parseRegisteredKind,
  registeredKindNames,
} from './kinds.js'
import { openLocalTarget } from './local-target.js'
import { Output, credentialLines, describeCredential } from './output.js'
import { openRemoteTarget } from './remote-target.js'
import type { CredentialTarget, HeldCredential } from './target.js'

/** Options of every credential command: where to go, the key, and how to print. */
export interface TargetOptions extends KeyOptions {
  config?: string
  uniConfigCenter?: string
  remote?: string
  secret?: string
  timeout: string
  json?: boolean
  showValue?: boolean
}

export interface SetOptions extends TargetOptions {
  value: string
  expiresIn?: string
}

export interface RefreshOptions extends TargetOptions {
  ifValue?: string
}

/** A credential command: one of the routes' operations. */
export type CredentialOperation = RouteOperation

/**
 * Runs one credential command; resolves its exit code. Arguments are all checked before a tier or the service is
 * touched, so a usage error opens nothing.
 */
export async function runCredentialCommand(
  operation: CredentialOperation,
  kindText: string,
  options: TargetOptions & Partial<SetOptions & RefreshOptions>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExitCode> {
  const output = new Output(options.json === true)
  let target: CredentialTarget | undefined
  try {
    const { kind, key, title } = kindAndKey(operation, kindText, options)
    const value = operation === 'set' ? parseValueJson(readValue(options.value!), '--value') : undefined
    const expiresIn = operation === 'set' ? parseExpiresIn(options.expiresIn) : undefined
    target = await openTarget(options, env)
    const doc: Record<string, unknown> = { command: operation, mode: target.mode, kind, key }
    switch (operation) {
      case 'get':
        return report(
          output,
          doc,
          title,
          kind,
          await heldOrPushedMissing(target.get(kind, key)),
          options.showValue === true,
        )
      case 'refresh':
        return report(
          output,
          doc,
          title,
          kind,
          await target.refresh(kind, key, options.ifValue),
          options.showValue === true,
        )
      case 'set':
        await target.set(kind, key, value!, expiresIn)
        output.result({ ...doc, done: true }, [
          `${title}: set${expiresIn === undefined || expiresIn === -1 ? ', never expires' : `, expires in ${expiresIn} s`}`,
        ])
        return EXIT.ok
      default: // remove
        await target.remove(kind, key)
        output.result({ ...doc, done: true }, [`${title}: removed`])
        return EXIT.ok
    }
  } catch (error) {
    return output.fail(error)
  } finally {
    await target?.close().catch(() => undefined)
  }
}

/**
 * The kind and its key, checked before anything is opened: a built-in kind (its flags or `--key`) or a registered
 * one (`wecom_corp_token`, `component-access-token`, …: `--key '<json>'`, the Open Platform's flags). A kind that
 * cannot be fetched again (durable or pushed) is not refreshed.
 */
function kindAndKey(
  operation: CredentialOperation,
  kindText: string,
  options: TargetOptions,
): { kind: string; key: object; title: string } {
  const builtIn = parseKind(kindText)
  if (builtIn !== undefined) {
    if (operation === 'refresh' && !REFRESHABLE_KINDS.includes(builtIn)) {
      usage(`${builtIn} cannot be refreshed (refreshable: ${REFRESHABLE_KINDS.join(', ')})`)
    }
    if (options.componentAppid !== undefined || options.authorizerAppid !== undefined)
      usage(
        `${options.componentAppid !== undefined ? '--component-appid' : '--authorizer-appid'} is not part of a ${builtIn} key`,
      )
    const key = keyFromOptions(builtIn, options)
    return { kind: builtIn, key, title: `${builtIn} ${describeKey(key)}` }
  }
  const registered = parseRegisteredKind(kindText)
  if (registered === undefined)
    usage(
      `unknown kind '${kindText}' (one of access_token, ticket, user_access_token, session_key, encrypt_key; registered: ${registeredKindNames().join(', ')})`,
    )
  const name = registered!.definition.name
  if (operation === 'refresh') refusesRefresh(registered!)
  const key = registeredKeyFromOptions(registered!, options)
  const described = Object.entries(key)
    .map(([field, value]) => `${field} ${String(value)}`)
    .join(' ')
  return { kind: name, key, title: `${name} ${described}` }
}

/** A pushed or durable kind cannot be fetched again: refresh is a usage error saying what to do instead. */
function refusesRefresh(kind: RegisteredKind): void {
  const { name, pushed, durable } = kind.definition
  if (pushed !== true && durable !== true) return
  const why = pushed === true ? 'is pushed by the platform, never fetched' : 'is durable: it cannot be fetched again'
  const hint = NOT_REFRESHABLE_HINTS[name]
  usage(`${name} ${why}, so it cannot be refreshed${hint !== undefined ? ` (${hint})` : ''}`)
}

/** A pushed kind that has not arrived is not held (exit 6), as any credential not held. */
async function heldOrPushedMissing(read: Promise<HeldCredential | null>): Promise<HeldCredential | null> {
  try {
    return await read
  } catch (error) {
    if ((error as { code?: unknown }).code === 'E_PUSHED_MISSING') return null
    throw error
  }
}

function report(
  output: Output,
  doc: Record<string, unknown>,
  title: string,
  kind: string,
  held: HeldCredential | null,
  showValue: boolean,
): ExitCode {
  if (held === null) {
    output.result({ ...doc, found: false }, [`${title}: not held`])
    return EXIT.notFound
  }
  const facts = describeCredential(kind, held)
  output.result({ ...doc, found: true, ...facts, ...(showValue ? { value: held.value } : {}) }, [
    `${title}: held`,
    ...credentialLines(facts),
    ...(showValue ? [`  value        ${JSON.stringify(held.value)}`] : []),
  ])
  return EXIT.ok
}

/** `--remote <url>` (with `--secret` or `OPEN_BRIDGE_SECRET`), or the config as `serve` loads it. */
export async function openTarget(options: TargetOptions, env: NodeJS.ProcessEnv): Promise<CredentialTarget> {
  const timeoutMs = parseTimeout(options.timeout)
  if (options.remote !== undefined) {
    if (options.config !== undefined || options.uniConfigCenter !== undefined) {
      usage('--remote goes to the central service: it takes no --config or --uni-config-center')
    }
    return openRemoteTarget({ url: options.remote, secret: secretOf(options, env), timeoutMs })
  }
  if (options.secret !== undefined)
    usage('--secret signs requests to --remote; without --remote there is nothing to sign')
  return openLocalTarget({ configPath: options.config, uniConfigCenter: options.uniConfigCenter })
}

/**
 * The signing secret (`--secret`, else `OPEN_BRIDGE_SECRET`). One shorter than a service accepts
 * (`MIN_SECRET_LENGTH`) is a usage error naming where it came from, not a signature the service then refuses.
 */
export function secretOf(options: { secret?: string }, env: NodeJS.ProcessEnv): string | undefined {
  const from = options.secret !== undefined ? '--secret' : 'OPEN_BRIDGE_SECRET'
  const secret = options.secret ?? env.OPEN_BRIDGE_SECRET
  if (secret === undefined || secret === '') return undefined
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ServerError(
      'E_USAGE',
      `${from} is shorter than a signing secret can be (at least ${MIN_SECRET_LENGTH} characters): it is not the service's server.auth.signingSecret`,
      { field: from },
    )
  }
  return secret
}

export function parseTimeout(text: string): number {
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN
  if (!(n >= 1)) usage('--timeout must be a whole number of ms ≥ 1')
  return n
}

/** `--value -` reads the JSON from stdin, so a credential need not sit in the shell history or `ps`. */
function readValue(text: string): string {
  if (text !== '-') return text
  try {
    return readFileSync(0, 'utf8')
  } catch {
    throw new ServerError('E_USAGE', '--value - could not read stdin')
  }
}

function describeKey(key: CliKey): string {
  return [
    key.platform,
    key.dcloudAppid !== undefined ? `dcloudAppid ${key.dcloudAppid}` : '',
    key.appid !== undefined ? `appid ${key.appid}` : '',
    key.openid !== undefined ? `openid ${key.openid}` : '',
    key.version !== undefined ? `version ${key.version}` : '',
    key.ticketType !== undefined ? `ticketType ${key.ticketType}` : '',
  ]
    .filter(Boolean)
    .join(' ')
}
