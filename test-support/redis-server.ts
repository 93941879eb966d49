import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, Socket } from 'node:net'

/**
 * A private `redis-server` for one test file, on a free loopback port, with no persistence.
 * Tests stop it (and may `kill()` it mid-run to check failover, then `restart()` it on the same port).
 */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** SIGKILLs the server, as a crash would; resolves once the port is closed. */
  kill(): Promise<void>
  /** Starts it again on the same port; resolves once it accepts connections. */
  restart(): Promise<void>
  /** Stops it for good. Idempotent. */
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined

  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore' },
    )
    const spawned = child
    await new Promise<void>((resolve, reject) => {
      spawned.once('error', (error) => reject(new Error(`could not start redis-server (is it installed?): ${error.message}`)))
      spawned.once('spawn', () => resolve())
    })
    await waitFor(() => canConnect(port), true, `redis-server on port ${port} did not start`)
  }

  const kill = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
    await waitFor(() => canConnect(port), false, `redis-server on port ${port} did not stop`)
  }

  await start()
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: start, stop: kill }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.connect(port, '127.0.0.1')
  })
}

async function waitFor(check: () => Promise<boolean>, want: boolean, message: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if ((await check()) === want) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(message)
}
