import { execFile, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, killRedisServer, spawnRedisServer, waitFor } from './redis-server.js'

/**
 * A private 3-master Redis Cluster (no replicas) for one test file, on free loopback ports, with no
 * persistence. Every node's cluster state lives in its own temp dir, removed by `stop()`.
 */
export interface RedisCluster {
  /** The masters, each a startup node for an ioredis `Cluster`. */
  readonly nodes: readonly { host: string; port: number }[]
  /** Kills every node and removes their temp dirs. Idempotent. */
  stop(): Promise<void>
}

interface ClusterNode {
  port: number
  dir: string
  child?: ChildProcess
}

const HOST = '127.0.0.1'
const NODE_COUNT = 3

export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: ClusterNode[] = []
  const stop = async () => {
    const stopping = nodes.splice(0)
    await Promise.all(stopping.map((node) => killRedisServer(node.child, node.port)))
    await Promise.all(stopping.map((node) => rm(node.dir, { recursive: true, force: true })))
  }

  try {
    for (let i = 0; i < NODE_COUNT; i++) {
      const node: ClusterNode = { port: await freePort(), dir: await mkdtemp(join(tmpdir(), 'open-bridge-cluster-')) }
      nodes.push(node)
      // The bus port defaults to port + 10000, which may be taken or past 65535: pick a free one (Redis 7+).
      const busPort = await freePort()
      node.child = await spawnRedisServer(node.port, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(node.dir, `nodes-${node.port}.conf`),
        '--cluster-port',
        String(busPort),
        '--dir',
        node.dir,
      ])
    }
    await redisCli([
      '--cluster',
      'create',
      ...nodes.map((node) => `${HOST}:${node.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    for (const node of nodes) {
      await waitFor(
        async () =>
          (await redisCli(['-h', HOST, '-p', String(node.port), 'cluster', 'info'])).includes('cluster_state:ok'),
        true,
        `redis cluster node ${HOST}:${node.port} did not reach cluster_state:ok`,
        30_000,
      )
    }
  } catch (error) {
    await stop()
    throw error
  }

  return { nodes: nodes.map((node) => ({ host: HOST, port: node.port })), stop }
}

/** Runs `redis-cli` with `args`; resolves its stdout, rejects with its stderr on failure. */
function redisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout)
      const code = (error as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' ? 'redis-cli not found (is it installed?)' : `${error.message}\n${stderr || stdout}`
      reject(new Error(`redis-cli ${args.join(' ')} failed: ${why}`))
    })
  })
}
