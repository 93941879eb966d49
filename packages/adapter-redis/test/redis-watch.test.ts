/**
 * Write notices (`notify`, `watch`) on a real redis-server: what is published and where, the option, a subscriber
 * whose connection is killed coming back, a watcher that throws.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { redisStore } from '../src/index.js'

const server: RedisServer = await startRedisServer()
afterAll(() => server.stop())

let n = 0
const uniqueKey = () => `uni-id:weixin-mp:wxwatch${process.pid}x${++n}:access-token`
const live = (token: string) => ({ value: { access_token: token }, expiresAt: Date.now() + 60_000 })

/** A raw subscriber on `channel`: the messages it got. */
async function listen(channel: string): Promise<{ messages: string[]; close: () => void }> {
  const raw = new Redis(server.url)
  const messages: string[] = []
  raw.on('message', (_channel: string, message: string) => messages.push(message))
  await raw.subscribe(channel)
  return { messages, close: () => raw.disconnect() }
}

/** Runs `write` every 100 ms until `heard()`, for at most 10 s. */
async function writeUntilHeard(write: (i: number) => Promise<unknown>, heard: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000
  for (let i = 0; !heard(); i++) {
    if (Date.now() > deadline) return false
    await write(i)
    await sleep(100)
  }
  return true
}

describe('redisStore write notices', () => {
  it('publishes the storage key (never the value) on <keyPrefix>open-bridge:written for set, compareAndSet and delete', async () => {
    const sub = await listen('pfx:open-bridge:written')
    const store = redisStore({ url: server.url, keyPrefix: 'pfx:' })
    try {
      const key = uniqueKey()
      await store.set(key, live('TOKEN-SET-1'))
      await store.compareAndSet!(key, await store.get(key), live('TOKEN-CAS-2'))
      await store.compareAndSet!(key, undefined, live('TOKEN-REFUSED')) // refused: nothing written, no notice
      await store.delete(key)
      await writeUntilHeard(
        async () => undefined,
        () => sub.messages.length >= 3,
      )
      await sleep(200)
      expect(sub.messages).toEqual([key, key, key])
      expect(sub.messages.join()).not.toContain('TOKEN')
    } finally {
      sub.close()
      await store.close()
    }
  })

  it('notify: false → no PUBLISH and no watch', async () => {
    const sub = await listen('open-bridge:written')
    const quiet = redisStore({ url: server.url, notify: false })
    const loud = redisStore({ url: server.url })
    try {
      expect(quiet.watch).toBeUndefined()
      expect(typeof loud.watch).toBe('function')
      const silent = uniqueKey()
      await quiet.set(silent, live('q'))
      // A write of the other store, after it on the server, proves the subscriber was listening.
      const heard = uniqueKey()
      await writeUntilHeard(
        () => loud.set(heard, live('l')),
        () => sub.messages.includes(heard),
      )
      expect(sub.messages).not.toContain(silent)
    } finally {
      sub.close()
      await quiet.close()
      await loud.close()
    }
  })

  it('notify must be a boolean (E_INVALID_CONFIG, field notify)', () => {
    expect(() => redisStore({ url: server.url, notify: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'notify' }),
    )
  })

  it('a subscriber whose connection is killed (CLIENT KILL TYPE pubsub) subscribes again and hears later writes', async () => {
    const watched = redisStore({ url: server.url })
    const writer = redisStore({ url: server.url })
    const admin = new Redis(server.url)
    try {
      const key = uniqueKey()
      let calls = 0
      watched.watch!(key, () => calls++)
      expect(
        await writeUntilHeard(
          (i) => writer.set(key, live(`a${i}`)),
          () => calls > 0,
        ),
      ).toBe(true)
      expect(Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(1)
      const before = calls
      expect(
        await writeUntilHeard(
          (i) => writer.set(key, live(`b${i}`)),
          () => calls > before,
        ),
      ).toBe(true)
    } finally {
      admin.disconnect()
      await watched.close()
      await writer.close()
    }
  })

  it('a PUBLISH or SUBSCRIBE Redis refuses (an ACL without the channel) never fails a write; notices resume after', async () => {
    const admin = new Redis(server.url)
    const watched = redisStore({ url: server.url })
    const writer = redisStore({ url: server.url })
    try {
      const key = uniqueKey()
      let calls = 0
      await admin.acl('SETUSER', 'default', 'resetchannels')
      watched.watch!(key, () => calls++)
      await writer.set(key, live('refused-notice'))
      await writer.delete(key)
      expect(await writer.get(key)).toBeUndefined()
      await sleep(300)
      expect(calls).toBe(0)
      await admin.acl('SETUSER', 'default', 'allchannels')
      // The subscriber was refused: it subscribes again once its connection is ready anew.
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
      expect(
        await writeUntilHeard(
          (i) => writer.set(key, live(`t${i}`)).catch(() => undefined), // the writer was dropped too: it reconnects
          () => calls > 0,
        ),
      ).toBe(true)
    } finally {
      await admin.acl('SETUSER', 'default', 'allchannels').catch(() => undefined)
      admin.disconnect()
      await watched.close()
      await writer.close()
    }
  })

  it('a watcher that throws does not keep the others of the key from hearing', async () => {
    const store = redisStore({ url: server.url })
    try {
      const key = uniqueKey()
      let heard = 0
      store.watch!(key, () => {
        throw new Error('listener bug')
      })
      store.watch!(key, () => heard++)
      expect(
        await writeUntilHeard(
          (i) => store.set(key, live(`t${i}`)),
          () => heard > 0,
        ),
      ).toBe(true)
    } finally {
      await store.close()
    }
  })
})
