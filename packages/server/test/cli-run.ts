import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The CLI from its sources, run by a real node process (tsx compiles it on the fly), as serve-process.test.ts does. */
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
/**
 * tsx maps `@open-bridge/*` through the root tsconfig's paths, so the child runs every package from its sources
 * (as vitest's aliases do): no stale or half-rebuilt dist of a sibling package is involved.
 */
const TSCONFIG = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url))

/**
 * At most this many CLI children run at once, whatever a test starts together (`Promise.all` over twenty cases):
 * on a loaded 2-core machine twenty tsx processes compiling at once took longer than a child's own deadline, and
 * one was killed (exit null) — a failure of the test, not of the CLI. The others wait their turn; a child's
 * deadline counts from its own start.
 */
const MAX_CHILDREN = Math.max(2, Math.min(4, availableParallelism()))
let running = 0
const queue: Array<() => void> = []

async function slot(): Promise<() => void> {
  if (running >= MAX_CHILDREN) await new Promise<void>((resolve) => queue.push(resolve))
  running++
  return () => {
    running--
    queue.shift()?.()
  }
}

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** stdout parsed as the one JSON document `--json` promises (throws if it is not exactly one). */
  json(): Record<string, unknown>
}

/**
 * Runs `open-bridge <args>` to completion (killed after `timeoutMs`, default 120 s — generous for a loaded machine;
 * counted from the child's start, once a slot is free) and collects its exit code, stdout and stderr apart.
 * `OPEN_BRIDGE_SECRET` is removed from the inherited environment unless given.
 */
export async function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<CliRun> {
  const release = await slot()
  try {
    return await runChild(args, options)
  } finally {
    release()
  }
}

function runChild(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.OPEN_BRIDGE_SECRET
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: options.cwd,
    env: { ...env, TSX_TSCONFIG_PATH: TSCONFIG, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin.end(options.input ?? '')
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({
        code,
        stdout,
        stderr,
        json() {
          const lines = stdout.trim().split('\n')
          if (lines.length !== 1)
            throw new Error(`expected one JSON line on stdout, got ${lines.length}:\n${stdout}\nstderr:\n${stderr}`)
          return JSON.parse(lines[0]!) as Record<string, unknown>
        },
      })
    })
  })
}
