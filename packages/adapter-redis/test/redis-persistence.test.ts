/** `persistence()`: whether the Redis server keeps its data across a restart, asked of real servers. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { redisStore } from '../src/index.js'

let dir: string
const servers: RedisServer[] = []
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-redis-persistence-'))
})
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
  await rm(dir, { recursive: true, force: true })
})

/** A store on a fresh server started with `args` (the test servers default to no persistence at all). */
async function storeOn(args: string[] = []) {
  const server = await startRedisServer(['--dir', dir, ...args])
  servers.push(server)
  return redisStore({ url: server.url })
}

describe('redisStore persistence()', () => {
  it('neither AOF nor RDB: persists false, and says what it found', async () => {
    const store = await storeOn()
    expect(await store.persistence!()).toEqual({ persists: false, detail: 'appendonly no, save ""' })
    await store.close()
  })

  it('AOF on: persists true', async () => {
    const store = await storeOn(['--appendonly', 'yes', '--appendfilename', 'aof-test.aof'])
    expect(await store.persistence!()).toMatchObject({
      persists: true,
      detail: expect.stringContaining('appendonly yes'),
    })
    await store.close()
  })

  it('RDB snapshots configured: persists true', async () => {
    const store = await storeOn(['--save', '3600 1', '--dbfilename', 'rdb-test.rdb'])
    expect(await store.persistence!()).toMatchObject({ persists: true, detail: 'appendonly no, save "3600 1"' })
    await store.close()
  })

  it('CONFIG renamed away (as managed services do): persists undefined, never an error', async () => {
    const store = await storeOn(['--rename-command', 'CONFIG', ''])
    expect(await store.persistence!()).toEqual({
      persists: undefined,
      detail: 'the server refused CONFIG GET: its persistence is unknown',
    })
    await store.close()
  })

  it('an unreachable server: a typed error without the password', async () => {
    const store = redisStore({ url: `redis://:persist-pw-77@127.0.0.1:${await freePort()}`, socketTimeout: 200 })
    const error = await store.persistence!().catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'RedisStoreError' })
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain('persist-pw-77')
    await store.close()
  })
})
