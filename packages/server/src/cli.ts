#!/usr/bin/env node
import { runCli } from './cli/program.js'
import { showError } from './cli/output.js'

/**
 * `open-bridge <command>` — serve, doctor, get, set, remove, refresh. Exit codes: see the README's CLI section
 * (0 ok, 1 failed, 2 usage, 3 config, 4 unreachable, 5 refused, 6 not held; serve: 1 cannot start, 2 usage).
 */
runCli(process.argv.slice(2)).then(
  (code) => {
    if (code === undefined) return // serve: runs until a signal (or it could not start: exitCode is set)
    process.exitCode = code
    // Everything this command opened is closed; a driver's lingering timer must not hold the answer back.
    setTimeout(() => process.exit(code), 2_000).unref()
  },
  (error: unknown) => {
    const shown = showError(error)
    process.stderr.write(`open-bridge: ${shown.code} ${shown.message}\n`)
    process.exitCode = 1
  },
)
