import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

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
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/**
 * `extraArgs` configure the server, e.g. `['--requirepass', 'pw']`, `['--replicaof', '127.0.0.1', String(port)]`
 * (a read-only replica) or `['--maxmemory', '1', '--maxmemory-policy', 'noeviction']` (every write refused: OOM).
 */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined

  const start = async () => {
    child = await spawnRedisServer(port, extraArgs)
  }

  const kill = async () => {
    const running = child
    child = undefined
    await killRedisServer(running, port)
  }

  await start()
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: start, stop: kill }
}

/**
 * Spawns `redis-server` on loopback `port`, without persistence, with `extraArgs` after the defaults (a later
 * `--option` wins); resolves once it accepts connections. Shared with the cluster helper (redis-cluster.ts).
 */
export async function spawnRedisServer(port: number, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  )
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`could not start redis-server (is it installed?): ${error.message}`)),
    )
    child.once('spawn', () => resolve())
  })
  try {
    await waitFor(() => canConnect(port), true, `redis-server on port ${port} did not start`)
  } catch (error) {
    await killRedisServer(child, port)
    throw error
  }
  return child
}

/** SIGKILLs a server from `spawnRedisServer`, as a crash would; resolves once its port is closed. No-op if gone. */
export async function killRedisServer(child: ChildProcess | undefined, port: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  await waitFor(() => canConnect(port), false, `redis-server on port ${port} did not stop`)
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

/** Polls `check` every 25 ms until it answers `want`; throws `message` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  want: boolean,
  message: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await check()) === want) return
    await sleep(25)
  }
  throw new Error(message)
}
