/** Starts Open Platform bridge workers (worker.ts) as real child processes; `close()` ends every one of them. */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { OpCommand, OpReply } from './protocol.js'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))

export interface OpWorker {
  ask<T>(command: OpCommand): Promise<T>
  end(): Promise<void>
}

export function startWorker(): OpWorker {
  const child: ChildProcess = fork(WORKER, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TSX_TSCONFIG_PATH: `${ROOT}tsconfig.json`, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + String(chunk)).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let pending: { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined
  child.on('message', (reply: OpReply) => {
    const waiting = pending
    pending = undefined
    if (reply.type === 'failed') waiting?.reject(new Error(reply.message))
    else waiting?.resolve(reply.result)
  })
  child.once('exit', (code) => pending?.reject(new Error(`worker exited (${code}): ${stderr}`)))
  const alive = () => child.exitCode === null && child.signalCode === null
  return {
    ask: <T>(command: OpCommand) =>
      new Promise<T>((resolve, reject) => {
        if (!alive()) return reject(new Error(`worker is not running: ${stderr}`))
        pending = { resolve: resolve as (value: unknown) => void, reject }
        child.send(command)
      }),
    async end() {
      if (!alive()) return
      if (child.connected) child.send({ type: 'close' } satisfies OpCommand)
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}
