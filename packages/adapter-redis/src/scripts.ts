import type { Cluster, Redis } from 'ioredis'

/**
 * Lua scripts, each defined once per client with `defineCommand` (ioredis sends them by EVALSHA and
 * reloads them by itself after a server restart flushed the script cache). Each touches one key, so they
 * route correctly on a Cluster.
 */
const SCRIPTS = {
  /** Lock release: delete only if the caller's token holds it. */
  openBridgeRelease: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  /** Lock extension: push the expiry only if the caller's token holds it. */
  openBridgeExtend: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
} as const

/** What the scripts add to a client. */
export interface ScriptCommands {
  openBridgeRelease(key: string, token: string): Promise<number>
  openBridgeExtend(key: string, token: string, ttlMs: number): Promise<number>
}

export type ScriptedClient = (Redis | Cluster) & ScriptCommands

/** Defines the scripts on `client` (idempotent: defining them again replaces them with the same text). */
export function defineScripts(client: Redis | Cluster): ScriptedClient {
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua })
  return client as ScriptedClient
}
