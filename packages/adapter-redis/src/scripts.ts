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
  /**
   * Compare-and-set (the fence of a write under the refresh lock): ARGV[1] = the JSON seen ('' = none),
   * ARGV[2] = '1' when an absent key also matches (nothing seen, or what was seen has expired), ARGV[3] = the
   * JSON to write, ARGV[4] = its TTL in ms ('' = never). Writes only if the key holds exactly what was seen.
   */
  openBridgeCompareAndSet: `local current = redis.call('GET', KEYS[1])
if current then
  if current ~= ARGV[1] then return 0 end
elseif ARGV[2] ~= '1' then
  return 0
end
if ARGV[4] == '' then redis.call('SET', KEYS[1], ARGV[3]) else redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) end
return 1`,
} as const

/** What the scripts add to a client. */
export interface ScriptCommands {
  openBridgeCompareAndSet(
    key: string,
    seen: string,
    absentMatches: '0' | '1',
    json: string,
    ttlMs: string,
  ): Promise<number>
  openBridgeRelease(key: string, token: string): Promise<number>
  openBridgeExtend(key: string, token: string, ttlMs: number): Promise<number>
}

export type ScriptedClient = (Redis | Cluster) & ScriptCommands

/** Defines the scripts on `client` (idempotent: defining them again replaces them with the same text). */
export function defineScripts(client: Redis | Cluster): ScriptedClient {
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua })
  return client as ScriptedClient
}
