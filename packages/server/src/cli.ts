#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { startServer, type RunningServer } from './serve.js'

const USAGE = `Usage: open-bridge serve [--config <file>] [--uni-config-center <dir>]

  serve                      run the credential service (HTTP API, scheduler, metrics)
    -c, --config <file>        open-bridge.config.json / .mjs / .js (default: the first of those in
                               the working directory; none → memory + SQLite ./open-bridge.db on 127.0.0.1:8787)
    --uni-config-center <dir>  read a uniCloud project's uni-id/config.json and uni-open-bridge/config.json
  -h, --help                 show this help
`

/** `open-bridge <command>`. Exit codes: 0 ok, 1 could not start (config, port, …), 2 bad usage. */
async function main(argv: string[]): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'uni-config-center': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    return usage(`${(error as Error).message}\n`)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(USAGE)
    return
  }
  const [command, ...rest] = positionals
  if (command === undefined) return usage('a command is needed\n')
  if (command !== 'serve') return usage(`unknown command '${command}'\n`)
  if (rest.length > 0) return usage(`serve takes no arguments besides its options\n`)

  let server: RunningServer
  try {
    server = await startServer({ configPath: values.config, uniConfigCenter: values['uni-config-center'], handleSignals: true })
  } catch (error) {
    process.stderr.write(`open-bridge: cannot start: ${describe(error)}\n`)
    process.exitCode = 1
    return
  }
  // Last resort: an error nobody caught is logged (through the redacting logger) and the process exits.
  const fatal = (error: unknown) => {
    server.app.log.fatal({ err: error }, 'uncaught error: exiting')
    process.exit(1)
  }
  process.on('uncaughtException', fatal)
  process.on('unhandledRejection', fatal)
}

function usage(problem: string): void {
  process.stderr.write(`open-bridge: ${problem}\n${USAGE}`)
  process.exitCode = 2
}

/** Our errors carry a code, a field and a message free of secrets; anything else is named by its class and code only. */
function describe(error: unknown): string {
  const { code, message, name } = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>
  if (typeof code === 'string' && code.startsWith('E_') && typeof message === 'string') return `${code} ${message}`
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') return `${code}: cannot listen (${String(message)})`
  return `${typeof name === 'string' ? name : 'Error'}${typeof code === 'string' ? ` ${code}` : ''}`
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`open-bridge: ${describe(error)}\n`)
  process.exitCode = 1
})
