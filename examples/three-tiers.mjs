// A deployment's chain: a per-process memory copy, a shared Redis, and a durable SQLite file that answers
// when Redis is down. Needs a Redis at REDIS_URL (default redis://127.0.0.1:6379).
// Run after `npm install`: node examples/three-tiers.mjs
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBridge, memoryStore } from '@open-bridge/core'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-example-'))
const redis = redisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: 'example:' })
const sqlite = sqliteStore({ path: join(dir, 'credentials.db') })
const bridge = createBridge({
  // maxTtl: a process re-reads the shared tiers at least every 5 s, so it sees a token another process replaced.
  stores: [memoryStore({ maxTtl: 5_000 }), redis, sqlite],
  apps: [{ dcloudAppid: '__UNI__DEMO', platform: 'weixin-h5', appid: 'wxdemo', secret: 'not-a-real-secret' }],
})
bridge.on('tier-error', ({ tier, operation }) => console.log(`tier ${tier} failed a ${operation}; carrying on`))

const key = { dcloudAppid: '__UNI__DEMO', platform: 'weixin-h5' }
await bridge.setTicket(key, { ticket: 'jsapi-ticket' }, 7200)
const storageKey = 'uni-id:weixin-h5:wxdemo:ticket'
// Credentials never go to logs: print facts about them, not them.
const stored = async (tier) => (await tier.get(storageKey))?.value.ticket === 'jsapi-ticket'
console.log('stored in redis:', await stored(redis), '- in sqlite:', await stored(sqlite))
console.log('read through the chain:', (await bridge.getTicket(key))?.ticket === 'jsapi-ticket')

await bridge.removeTicket(key)
console.log('after remove:', await bridge.getTicket(key)) // null
await bridge.close()
rmSync(dir, { recursive: true, force: true })
