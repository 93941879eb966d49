import type { CredentialStore, StoredRecord } from '@open-bridge/core'
import type { Redis } from 'ioredis'
import { closeClient, createFailFastClient, firstConnection } from './connection.js'
import { resolveOptions, type RedisStoreOptions } from './options.js'
import { decodeRecord, encodeRecord } from './record-json.js'
import { redisLock } from './redis-lock.js'
import { defineScripts } from './scripts.js'

/**
 * A Redis tier in uni-open-bridge's layout: key `<keyPrefix><storageKey>` (storage keys are
 * `uni-id:<platform>:<appid>[:<openid>]:<type>`), value = the JSON of the value object plus `__expiresAt`
 * (see record-json.ts), TTL on the key (`PX`), none for "never". A read is one `GET`; only a value written
 * without `__expiresAt` (by uni-open-bridge) costs a second command, `PTTL`. Works with Redis 2.6.12 and later.
 */
export function redisStore(options: RedisStoreOptions): CredentialStore {
  const resolved = resolveOptions(options)
  const { keyPrefix, name } = resolved
  let owned: Redis | undefined
  // Without an offline queue, commands sent before the first connection would fail; they wait for it once.
  let connecting: Promise<void> | undefined
  if (resolved.client === undefined) {
    owned = createFailFastClient(resolved.url, resolved.socketTimeout)
    connecting = firstConnection(owned, resolved.socketTimeout * 2).then(() => void (connecting = undefined))
  }
  const client = defineScripts(owned ?? resolved.client!)
  const ready = async () => {
    if (connecting !== undefined) await connecting
  }
  let closed = false

  return {
    name,
    get: async (key) => {
      // Inline rather than `ready()`: the read is the hot path.
      if (connecting !== undefined) await connecting
      const redisKey = keyPrefix + key
      const json = await client.get(redisKey)
      if (json === null) return undefined
      const decoded = decodeRecord(json, key)
      let expiresAt = decoded.expiresAt
      if (expiresAt === undefined) {
        // Written by uni-open-bridge: the key's TTL is the only expiry there is.
        const pttl = await client.pttl(redisKey)
        if (pttl === -2) return undefined
        expiresAt = pttl < 0 ? null : Date.now() + pttl
      }
      // A replica may serve a key its primary has already expired.
      if (expiresAt !== null && expiresAt <= Date.now()) return undefined
      return { value: decoded.value, expiresAt }
    },
    set: async (key, record) => {
      await ready()
      await write(key, record)
    },
    delete: async (key) => {
      await ready()
      await client.del(keyPrefix + key)
    },
    lock: redisLock(client, (lockName) => `${keyPrefix}lock:${lockName}`, ready),
    close: async () => {
      if (closed) return
      closed = true
      if (owned) await closeClient(owned)
    },
  }

  async function write(key: string, record: StoredRecord): Promise<void> {
    const json = encodeRecord(record)
    if (record.expiresAt === null) {
      await client.set(keyPrefix + key, json)
      return
    }
    const ttl = Math.ceil(record.expiresAt - Date.now())
    if (ttl <= 0) {
      // Already dead: make sure no older copy outlives it.
      await client.del(keyPrefix + key)
    } else {
      // The key may outlive the record by under a millisecond; reads go by __expiresAt, which is exact.
      await client.set(keyPrefix + key, json, 'PX', ttl)
    }
  }
}
