import { startServer, type RunningServer } from '../serve.js'

/**
 * `open-bridge serve`: the service until SIGTERM / SIGINT. Exit codes as they always were: 1 when it cannot
 * start (the config included), 2 for bad usage (the parser's).
 */
export async function runServe(options: { config?: string; uniConfigCenter?: string }): Promise<void> {
  let server: RunningServer
  try {
    server = await startServer({
      configPath: options.config,
      uniConfigCenter: options.uniConfigCenter,
      handleSignals: true,
    })
  } catch (error) {
    process.stderr.write(`open-bridge: cannot start: ${describeStartFailure(error)}\n`)
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

/** Our errors carry a code, a field and a message free of secrets; anything else is named by its class and code only. */
function describeStartFailure(error: unknown): string {
  const { code, message, name } = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>
  if (typeof code === 'string' && code.startsWith('E_') && typeof message === 'string') return `${code} ${message}`
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
    return `${code}: cannot listen (${String(message)})`
  return `${typeof name === 'string' ? name : 'Error'}${typeof code === 'string' ? ` ${code}` : ''}`
}
