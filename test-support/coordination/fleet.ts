/**
 * Parent side of the multi-process harness: starts bridge workers (worker.ts) as real child processes, sends
 * them commands over IPC and collects their results. A test creates a fleet per case and always `close()`s
 * it (afterEach), which ends every child still running, SIGKILL if it does not go by itself.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Command, HerdCommand, HerdResult, LoopCommand, LoopResult, Reply, WorkerConfig } from './protocol.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/**
 * The tsconfig whose `paths` map `@open-bridge/*` for the workers: this checkout's sources by default. Point
 * `OPEN_BRIDGE_WORKER_TSCONFIG` at another checkout's tsconfig.json to run the same workers against other code
 * (e.g. the code before a change, for a before/after figure).
 */
const TSCONFIG = process.env.OPEN_BRIDGE_WORKER_TSCONFIG ?? `${ROOT}tsconfig.json`
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

export interface BridgeWorker {
  readonly index: number
  readonly pid: number
  herd(command: Omit<HerdCommand, 'type'>): Promise<HerdResult>
  loop(command: Omit<LoopCommand, 'type'>): Promise<LoopResult>
  /** The event counts since the last command (or the last call), then reset. */
  events(): Promise<Record<string, number>>
  /** SIGKILLs the process, as a crash would; resolves once it has exited. */
  kill(): Promise<void>
  /**
   * SIGSTOPs the process, as a long GC pause, a blocked event loop or a frozen VM would: it runs nothing (no lease
   * extension, no timer) until `resume()`. A command already sent keeps waiting for its answer.
   */
  pause(): void
  /** SIGCONTs a paused process. */
  resume(): void
  readonly alive: boolean
}

export interface Fleet {
  readonly workers: readonly BridgeWorker[]
  /** Sends the same herd to every worker; resolves their results in worker order. */
  herd(command: Omit<HerdCommand, 'type' | 'startAt'>, startInMs?: number): Promise<HerdResult[]>
  loop(command: Omit<LoopCommand, 'type' | 'startAt'>, startInMs?: number): Promise<LoopResult[]>
  /** Closes every bridge and ends every process. Idempotent; never throws. */
  close(): Promise<void>
}

/**
 * Starts `size` workers, each configured by `config(index)`; resolves once all are ready. `options.tsconfig`
 * points the workers at other code for this fleet only (a benchmark's baseline), as `OPEN_BRIDGE_WORKER_TSCONFIG`.
 */
export async function startFleet(
  size: number,
  config: (index: number) => WorkerConfig,
  options: { tsconfig?: string } = {},
): Promise<Fleet> {
  const started: WorkerHandle[] = []
  try {
    for (let i = 0; i < size; i++) started.push(new WorkerHandle(i, options.tsconfig ?? TSCONFIG))
    await Promise.all(started.map((worker, i) => worker.init(config(i))))
  } catch (error) {
    await Promise.all(started.map((worker) => worker.end()))
    throw error
  }
  return {
    workers: started,
    herd: (command, startInMs = 300) => {
      const startAt = Date.now() + startInMs
      return Promise.all(started.map((worker) => worker.herd({ ...command, startAt })))
    },
    loop: (command, startInMs = 300) => {
      const startAt = Date.now() + startInMs
      return Promise.all(started.map((worker) => worker.loop({ ...command, startAt })))
    },
    close: async () => {
      await Promise.all(started.map((worker) => worker.end()))
    },
  }
}

class WorkerHandle implements BridgeWorker {
  readonly index: number
  readonly #child: ChildProcess
  readonly #exited: Promise<void>
  #pending: { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined
  #stderr = ''

  constructor(index: number, tsconfig: string) {
    this.index = index
    this.#child = fork(WORKER, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, NODE_OPTIONS: '' },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    })
    this.#child.stderr!.on('data', (chunk: Buffer) => {
      // Kept for the error message of a worker that dies; bounded.
      this.#stderr = (this.#stderr + String(chunk)).slice(-4000)
    })
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()))
    this.#child.on('message', (message: Reply) => {
      const pending = this.#pending
      this.#pending = undefined
      if (!pending) return
      if (message.type === 'failed') pending.reject(new Error(`worker ${index}: ${message.message}`))
      else pending.resolve(message.type === 'ready' ? message.pid : message.result)
    })
    this.#child.once('exit', (code, signal) => {
      const pending = this.#pending
      this.#pending = undefined
      pending?.reject(new Error(`worker ${index} exited (code ${code}, signal ${signal}) ${this.#stderr}`))
    })
  }

  get pid(): number {
    return this.#child.pid!
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null
  }

  init(config: WorkerConfig): Promise<unknown> {
    return this.#ask({ type: 'init', config })
  }

  herd(command: Omit<HerdCommand, 'type'>): Promise<HerdResult> {
    return this.#ask({ type: 'herd', ...command }) as Promise<HerdResult>
  }

  loop(command: Omit<LoopCommand, 'type'>): Promise<LoopResult> {
    return this.#ask({ type: 'loop', ...command }) as Promise<LoopResult>
  }

  events(): Promise<Record<string, number>> {
    return this.#ask({ type: 'events' }) as Promise<Record<string, number>>
  }

  pause(): void {
    if (this.alive) this.#child.kill('SIGSTOP')
  }

  resume(): void {
    if (this.alive) this.#child.kill('SIGCONT')
  }

  async kill(): Promise<void> {
    if (this.alive) this.#child.kill('SIGKILL')
    await this.#exited
  }

  /** Asks the worker to close its bridge and exit; SIGKILL after 3 s. */
  async end(): Promise<void> {
    if (!this.alive) return
    // A paused worker would never read the close message.
    this.resume()
    if (this.#child.connected) this.#child.send({ type: 'close' } satisfies Command)
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3_000)
    await this.#exited
    clearTimeout(timer)
  }

  #ask(message: Command | { type: 'init'; config: WorkerConfig }): Promise<unknown> {
    if (this.#pending) return Promise.reject(new Error(`worker ${this.index} is busy: one command at a time`))
    if (!this.alive) return Promise.reject(new Error(`worker ${this.index} is not running`))
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject }
      this.#child.send(message)
    })
  }
}

/** The p-th percentile (0–100) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}
