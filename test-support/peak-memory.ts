import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
/** The children run every `@open-bridge/*` package from its sources, through the root tsconfig's paths. */
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url))

/** What a measured child reported, and its memory: the peak is the OS's (`maxRSS`), the whole life of the process. */
export interface Measured<T> {
  /** The child's last stdout line, parsed. */
  result: T
  /** Resident memory once the child had loaded its modules and set up, just before the work, in MB. */
  rssBeforeMB: number
  /** Peak resident memory of the whole child process, in MB (`process.resourceUsage().maxRSS`). */
  maxRssMB: number
}

/**
 * Runs `script` (TypeScript, through tsx) in a child node process and returns what it printed last. The script
 * reports with `reportMeasured(result)` after calling `markBeforeWork()`; killed after `timeoutMs`.
 */
export function runMeasured<T>(script: string, args: string[], timeoutMs = 120_000): Promise<Measured<T>> {
  const child = spawn(process.execPath, ['--import', TSX, script, ...args], {
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      clearTimeout(timer)
      const last = stdout.trim().split('\n').at(-1)
      if (code !== 0 || last === undefined || last === '') {
        reject(new Error(`measured child exited ${code}:\n${stdout}\nstderr:\n${stderr}`))
        return
      }
      resolve(JSON.parse(last) as Measured<T>)
    })
  })
}

let before = 0

/** In the child: the resident memory now is the baseline (call it after imports and setup). */
export function markBeforeWork(): void {
  before = process.memoryUsage().rss
}

/** In the child: prints the result with the baseline and the peak, as the last stdout line. */
export function reportMeasured(result: unknown): void {
  const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10
  const measured = { result, rssBeforeMB: mb(before), maxRssMB: mb(process.resourceUsage().maxRSS * 1024) }
  process.stdout.write(`${JSON.stringify(measured)}\n`)
}
