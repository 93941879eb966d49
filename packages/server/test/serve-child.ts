import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The CLI from its sources, run by a real node process (tsx compiles it on the fly; no build needed). */
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

export interface CliChild {
  readonly child: ChildProcess
  /** Every line the process wrote, stdout and stderr, in order. */
  readonly lines: string[]
  /** Resolves with the first line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** The base URL from fastify's "Server listening at …" line. */
  url(): Promise<string>
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGKILLs it if it is still running (for afterEach). */
  kill(): Promise<void>
}

/**
 * `wrap`: a command to run node under, e.g. `['prlimit', '--nofile=256:256']` (the service under a low
 * descriptor limit); signals reach node because prlimit execs it.
 */
export function spawnCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; wrap?: string[] }): CliChild {
  const [command, ...prefix] = [...(options.wrap ?? []), process.execPath]
  const child = spawn(command!, [...prefix, '--import', TSX, CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = []
  const onLine = (line: string) => {
    lines.push(line)
    for (const waiter of [...waiters]) {
      if (!waiter.pattern.test(line)) continue
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(line)
    }
  }
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      buffered += chunk
      const parts = buffered.split('\n')
      buffered = parts.pop()!
      parts.forEach(onLine)
    })
    stream.on('end', () => buffered && onLine(buffered))
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) => {
    const seen = lines.find((line) => pattern.test(line))
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no line matched ${pattern} in ${timeoutMs} ms; got:\n${lines.join('\n')}`)),
        timeoutMs,
      )
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer)
          resolve(line)
        },
      })
      void exited.then(() =>
        setTimeout(() => reject(new Error(`exited before a line matched ${pattern}; got:\n${lines.join('\n')}`)), 100),
      )
    })
  }
  return {
    child,
    lines,
    waitFor,
    async url() {
      const line = await waitFor(/Server listening at http:\/\/127\.0\.0\.1:\d+/)
      return /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!
    },
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    },
  }
}

/** POSTs a JSON body (optionally with signature headers) and resolves status and parsed body. */
export async function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}
