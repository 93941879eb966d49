import { Command, CommanderError, Option } from 'commander'
import { escapeUnsafe, PLATFORMS, quoteValue, TICKET_TYPES } from '@open-bridge/core'
import { ServerError } from '../errors.js'
import {
  runCredentialCommand,
  parseTimeout,
  secretOf,
  type CredentialOperation,
  type TargetOptions,
} from './credential-commands.js'
import { registerClearQuotaCommand } from './clear-quota-command.js'
import { runDoctor } from './doctor.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { Output } from './output.js'
import { registerQuotaCommand } from './quota-command.js'
import { registerRidCommand } from './rid-command.js'
import { registerTransferCommands } from './transfer-commands.js'
import { runServe } from './serve-command.js'
import { runRebuild, runStartPush, type OpenPlatformCliOptions } from './open-platform-commands.js'

const TOP_HELP = `
Where get / set / remove / refresh / doctor / quota / clear-quota / rid go (quota, clear-quota, rid: local only):
  -c, --config <file>        open-bridge.config.json / .mjs / .js (default: the first of those in the working
                             directory; none → memory + SQLite ./open-bridge.db), loaded exactly as serve loads it
  --uni-config-center <dir>  a uniCloud project's uni-config-center directory (combines with --config)
  --remote <url>             the central service instead (its HTTP routes), signed with OPEN_BRIDGE_SECRET (or --secret)

Kinds: access_token, ticket, user_access_token, session_key, encrypt_key (also access-token, AccessToken, …), and
       every registered kind (WeCom: wecom_corp_token, wecom_jsapi_ticket, …; the Open Platform:
       component_access_token, …; also wecom-corp-token), its key given as --key '<json>'. Over --remote the
       service serves a registered kind only if it can fetch it again: durable and pushed kinds (permanent codes,
       refresh tokens, pushed tickets) stay on its own tiers (E_KIND_NOT_SERVED).

Exit codes: 0 ok · 1 operation failed · 2 bad usage · 3 configuration · 4 unreachable (tier, service, platform)
            5 refused by the service (signature, clock, IP) · 6 not held (get) / nothing to refresh
serve keeps its own: 1 cannot start, 2 bad usage.

Examples:
  open-bridge serve --config open-bridge.config.json
  open-bridge get access_token --dcloud-appid __UNI__A1B2C3 --platform weixin-mp
  open-bridge get access_token --appid wx123 --platform weixin-mp --json --show-value
  open-bridge set session_key --appid wx123 --platform weixin-mp --openid o1 --value '{"session_key":"…"}' --expires-in 7200
  open-bridge get wecom_corp_token --key '{"corpId":"ww123","agentId":"1000002"}' --remote http://bridge:8787
  open-bridge refresh wecom-corp-token --key '{"corpId":"ww123","agentId":"1000002"}' --if-value <rejected>
  open-bridge get component_access_token --component-appid wx0123456789abcdef
  OPEN_BRIDGE_SECRET=… open-bridge refresh access_token --remote http://bridge:8787 --appid wx123 --platform weixin-mp --if-value <rejected>
  open-bridge doctor --live
  open-bridge quota wx123 --api /cgi-bin/message/custom/send
  open-bridge rid wx123 <rid from an errmsg>
  open-bridge export --from sqlite:./open-bridge.db > backup.jsonl
  open-bridge import backup.jsonl --to redis://127.0.0.1:6379
  open-bridge copy --from redis://127.0.0.1:6379 --to sqlite:./open-bridge.db
  open-bridge rekey
`

/**
 * The `open-bridge` command line (commander). `run(argv)` resolves the exit code for commands that finish;
 * `serve` resolves undefined and keeps running.
 */
export function buildProgram(argv: readonly string[]): {
  program: Command
  result: () => ExitCode | undefined
  /** With `--json`: the help commander wrote (it is printed as one JSON document instead). */
  help: () => string
} {
  const json = argv.includes('--json')
  let exitCode: ExitCode | undefined
  let helpText = ''
  const program = new Command('open-bridge')
    .usage('serve|doctor|get|set|remove|refresh|quota|clear-quota|rid|export|import|copy|rekey|open-platform [options]')
    .description('The open-bridge credential service and its command line.')
    .helpOption('-h, --help', 'show help (also: open-bridge <command> --help)')
    .addHelpText('after', TOP_HELP)
    .showHelpAfterError('(open-bridge --help for usage)')
    .exitOverride()
    .configureOutput({
      // `--help --json`: the help is collected and printed as one JSON document (runCli).
      ...(json
        ? {
            writeOut: (text: string) => {
              helpText += text
            },
          }
        : {}),
      outputError: (message, write) => {
        // commander quotes what was typed (`unknown option '…'`): never a control or bidi character of it.
        const text = escapeUnsafe(message.replace(/^error: /, '').trim())
        write(`open-bridge: E_USAGE ${text}\n`)
        if (json)
          process.stdout.write(
            `${JSON.stringify({ error: { code: 'E_USAGE', message: text }, exitCode: EXIT.usage })}\n`,
          )
      },
    })

  program
    .command('serve')
    .description('run the credential service (HTTP API, scheduler, metrics)')
    .option(
      '-c, --config <file>',
      'open-bridge.config.json / .mjs / .js (default: the first of those in the working directory)',
    )
    .option('--uni-config-center <dir>', "read a uniCloud project's uni-id/config.json and uni-open-bridge/config.json")
    .action((options: { config?: string; uniConfigCenter?: string }) => runServe(options))

  const credential = (operation: CredentialOperation, description: string) => {
    const command = program
      .command(operation)
      .argument(
        '<kind>',
        'access_token, ticket, user_access_token, session_key, encrypt_key; or a registered kind (wecom_corp_token, component_access_token, …) with --key',
      )
    command.description(description)
    targetOptions(command)
    keyOptions(command)
    return command
  }
  const run = (operation: CredentialOperation) => async (kind: string, options: TargetOptions) => {
    exitCode = await runCredentialCommand(operation, kind, options)
  }

  credential(
    'get',
    'read a credential: whether it is held, its expiry and fingerprint (the value only with --show-value)',
  )
    .option('--show-value', 'print the credential value too (stdout)')
    .action(run('get'))
  credential('set', 'store a credential in every tier')
    .requiredOption('--value <json>', 'the value object, e.g. \'{"access_token":"…"}\'; - reads it from stdin')
    .option('--expires-in <seconds>', 'life in seconds; -1 (default) = never expires')
    .action(run('set'))
  credential('remove', 'delete a credential from every tier').action(run('remove'))
  credential(
    'refresh',
    'compare-and-refresh: fetch again unless it was already replaced (the new value only with --show-value)',
  )
    .option(
      '--if-value <credential>',
      'the credential the platform rejected: refreshed only if it is still the one held',
    )
    .option('--show-value', 'print the new credential value too (stdout)')
    .action(run('refresh'))

  const openPlatform = program
    .command('open-platform')
    .description('WeChat Open Platform third-party platforms: rebuild refresh tokens, resume ticket pushes')
  const opCommand = (name: string, description: string) =>
    openPlatform
      .command(name)
      .argument('<componentAppid>', 'the third-party platform (component) appid')
      .description(description)
      .option('-c, --config <file>', 'config file, loaded as serve loads it')
      .option('--uni-config-center <dir>', "a uniCloud project's uni-config-center directory")
      .option('--json', 'one JSON document on stdout (errors too, besides the stderr line)')
  opCommand(
    'rebuild',
    "rebuild every authorised account's refresh token (and home) from api_get_authorizer_list; prints the counts",
  ).action(async (componentAppid: string, options: OpenPlatformCliOptions) => {
    exitCode = await runRebuild(componentAppid, options)
  })
  opCommand('start-push', 'ask WeChat to resume pushing component_verify_ticket (api_start_push_ticket)').action(
    async (componentAppid: string, options: OpenPlatformCliOptions) => {
      exitCode = await runStartPush(componentAppid, options)
    },
  )

  const doctor = program
    .command('doctor')
    .description(
      'check the config, reach every tier (latency), the remote service and its clock; --live asks the platform',
    )
  targetOptions(doctor)
  doctor
    .option(
      '--live',
      'fetch each app’s access_token once from the platform (stable mode: not stored; classic: stored, it rotates)',
    )
    .action(async (options: TargetOptions & { live?: boolean }) => {
      const output = new Output(options.json === true)
      try {
        if (
          options.remote !== undefined &&
          (options.config !== undefined || options.uniConfigCenter !== undefined || options.live)
        ) {
          throw new ServerError(
            'E_USAGE',
            'doctor --remote checks the service; --config, --uni-config-center and --live check a config',
          )
        }
        exitCode = await runDoctor({
          config: options.config,
          uniConfigCenter: options.uniConfigCenter,
          remote: options.remote,
          secret: secretOf(options, process.env),
          live: options.live === true,
          timeoutMs: parseTimeout(options.timeout),
          json: options.json === true,
        })
      } catch (error) {
        exitCode = output.fail(error)
      }
    })

  const done = (code: ExitCode) => {
    exitCode = code
  }
  registerQuotaCommand(program, done)
  registerClearQuotaCommand(program, done)
  registerRidCommand(program, done)
  registerTransferCommands(program, done)

  return { program, result: () => exitCode, help: () => helpText }
}

function targetOptions(command: Command): void {
  command
    .option('-c, --config <file>', 'config file, loaded as serve loads it')
    .option('--uni-config-center <dir>', "a uniCloud project's uni-config-center directory")
    .option('--remote <url>', 'the central service, e.g. http://127.0.0.1:8787, instead of a config')
    .option(
      '--secret <secret>',
      'signing secret for --remote (prefer the OPEN_BRIDGE_SECRET environment variable: argv is visible in ps)',
    )
    .option('--timeout <ms>', 'per request / tier probe', '10000')
    .option('--json', 'one JSON document on stdout (errors too, besides the stderr line)')
}

function keyOptions(command: Command): void {
  command
    .option('--appid <appid>', 'the platform appid')
    .option('--dcloud-appid <id>', 'or the app by its dcloudAppid (as configured on the service)')
    .addOption(new Option('--platform <platform>', 'the platform').choices([...PLATFORMS]))
    .option('--openid <openid>', 'user kinds: user_access_token, session_key, encrypt_key')
    .option('--component-appid <appid>', 'Open Platform kinds: the third-party platform (component)')
    .option('--authorizer-appid <appid>', 'authorizer_refresh_token, authorizer_home: the authorised account')
    .option('--version <n>', 'encrypt_key: its version (integer ≥ 1)')
    .addOption(new Option('--ticket-type <type>', 'ticket: jsapi (default) or wx_card').choices([...TICKET_TYPES]))
    .addOption(
      new Option(
        '--key <json>',
        'the whole key as one JSON object, instead of the flags above: uni-open-bridge body style, or a registered kind\'s fields (\'{"corpId":"ww123","agentId":"1000002"}\')',
      ).conflicts([
        'appid',
        'dcloudAppid',
        'platform',
        'openid',
        'version',
        'ticketType',
        'componentAppid',
        'authorizerAppid',
      ]),
    )
}

/** Parses and runs; resolves the exit code (undefined while `serve` runs). Usage errors exit 2, help 0. */
export async function runCli(argv: readonly string[]): Promise<ExitCode | undefined> {
  const { program, result, help } = buildProgram(argv)
  const json = argv.includes('--json')
  // The command is the first word; one the program does not have is a usage error even with --help (commander
  // would print the main help and exit 0 for `open-bridge nope --help`).
  const words = argv.filter((arg) => !arg.startsWith('-'))
  const word = words[0]
  // `help <command>` names a command too.
  const named = word === 'help' ? words[1] : word
  const known = commandNames(program)
  if (named !== undefined && !known.has(named)) {
    const list = [...known].filter((name) => name !== 'help').join(', ')
    const message = `unknown command ${quoteValue(named)} (commands: ${list}; open-bridge --help for usage)`
    process.stderr.write(`open-bridge: E_USAGE ${message}\n`)
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'E_USAGE', message }, exitCode: EXIT.usage })}\n`)
    return EXIT.usage
  }
  try {
    await program.parseAsync([...argv], { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help asked for (`--help`, `help <command>`): commander says so with exit code 0. With --json, as JSON.
      if (error.exitCode === 0) {
        if (json) {
          const doc = { command: named ?? null, help: help(), exitCode: EXIT.ok }
          process.stdout.write(`${JSON.stringify(doc)}\n`)
        }
        return EXIT.ok
      }
      // No command: commander printed the help (stderr); say why it did.
      if (error.code === 'commander.help') process.stderr.write('open-bridge: E_USAGE a command is needed\n')
      return EXIT.usage
    }
    throw error
  }
  return result()
}

/** The program's commands, their aliases, and commander's `help`. */
function commandNames(program: Command): Set<string> {
  const names = new Set<string>(['help'])
  for (const command of program.commands) {
    names.add(command.name())
    for (const alias of command.aliases()) names.add(alias)
  }
  return names
}
