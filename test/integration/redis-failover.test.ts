/**
 * Invariant 3 with real parts: a three-tier chain (memory → Redis → SQLite) keeps answering while its Redis is
 * killed mid-run, reports the dead tier, and uses Redis again once it is back.
 */
import { createBridge, memoryStore, type AppKey, type BridgeEvents, type CredentialBridge } from '@open-bridge/core'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { Redis } from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../test-support/redis-server.js'

const key: AppKey = { appid: 'wxfailover0001', platform: 'weixin-mp' }
const storageKey = 'uni-id:weixin-mp:wxfailover0001:access-token'

interface ReadLog {
  values: string[]
  errors: unknown[]
}

/** Reads `key` through the bridge until `stop()` says so, at most 5,000 times and 30 s; a read never throws here. */
async function readRun(bridge: CredentialBridge, log: ReadLog, stop: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000
  for (let i = 0; i < 5_000 && Date.now() < deadline && !stop(); i++) {
    try {
      log.values.push((await bridge.getAccessToken(key))?.access_token ?? 'null')
    } catch (error) {
      log.errors.push(error)
    }
    // Lets the memory tier's 5 ms copy lapse, so the next read goes down to Redis again.
    await sleep(6)
  }
}

/** Waits (at most 10 s) until `check()` holds. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!check() && Date.now() < deadline) await sleep(10)
}

describe('memory → Redis → SQLite when Redis dies and comes back', () => {
  let server: RedisServer
  let raw: Redis
  let bridge: CredentialBridge
  const dir = mkdtempSync(join(tmpdir(), 'open-bridge-failover-'))
  const tierErrors: Array<BridgeEvents['tier-error']> = []

  beforeAll(async () => {
    server = await startRedisServer()
    raw = new Redis(server.url)
    raw.on('error', () => {})
    bridge = createBridge({
      stores: [
        memoryStore({ maxTtl: 5 }),
        redisStore({ url: server.url }),
        sqliteStore({ path: join(dir, 'tier.db') }),
      ],
    })
    bridge.on('tier-error', (event) => tierErrors.push(event))
  })
  afterAll(async () => {
    await bridge.close()
    raw.disconnect()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves every read from SQLite while Redis is down, reports the redis tier, then reads Redis again', async () => {
    // Every tier holds "durable"; then Redis alone is given "from-redis", so a read shows which tier answered.
    await bridge.setAccessToken(key, { access_token: 'durable' }, 7200)
    await raw.set(storageKey, JSON.stringify({ access_token: 'from-redis' }), 'EX', 7200)

    const log: ReadLog = { values: [], errors: [] }
    let stopped = false
    const run = readRun(bridge, log, () => stopped)

    await until(() => log.values.length >= 30)
    const beforeKill = log.values.length
    await server.kill()
    const afterKill = log.values.length
    await until(() => log.values.length >= afterKill + 60)
    stopped = true
    await run

    expect(log.errors).toEqual([])
    expect(log.values.slice(0, beforeKill)).toEqual(Array(beforeKill).fill('from-redis'))
    // The reads that started once Redis was gone all came from SQLite.
    const outage = log.values.slice(afterKill + 1)
    expect(outage.length).toBeGreaterThan(50)
    expect(new Set(outage)).toEqual(new Set(['durable']))
    expect(
      tierErrors.some(
        (event) => event.tier === 'redis' && event.operation === 'get' && event.storageKey === storageKey,
      ),
    ).toBe(true)
    expect(tierErrors.every((event) => event.tier === 'redis')).toBe(true)

    await server.restart()
    // The restarted server is empty; a value written straight into it must come back through the chain once
    // the store has reconnected. It is written again before each read, because until then a read served by
    // SQLite copies "durable" up into Redis.
    let seen: string | undefined
    for (let i = 0, deadline = Date.now() + 20_000; i < 2_000 && Date.now() < deadline && seen !== 'redis-again'; i++) {
      await raw.set(storageKey, JSON.stringify({ access_token: 'redis-again' }), 'EX', 7200)
      seen = (await bridge.getAccessToken(key))?.access_token
      await sleep(10)
    }
    expect(seen).toBe('redis-again')

    const errorsBefore = tierErrors.length
    const after: ReadLog = { values: [], errors: [] }
    await readRun(bridge, after, () => after.values.length >= 50)
    expect(after.errors).toEqual([])
    expect(after.values).toEqual(Array(50).fill('redis-again'))
    expect(tierErrors.length).toBe(errorsBefore)
  })
})
