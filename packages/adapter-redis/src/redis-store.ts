import type { CredentialStore, CredentialValue, StoredRecord } from '@open-bridge/core'
import type { Redis } from 'ioredis'
import { closeClient, createFailFastClient, firstConnection } from './connection.js'
import { RedisStoreError } from './errors.js'
import { resolveOptions, type RedisStoreOptions } from './options.js'
import { redisLock } from './redis-lock.js'
import { defineScripts } from './scripts.js'

/**
 * A Redis tier in uni-open-bridge's layout: key `<keyPrefix><storageKey>` (storage keys are
 * `uni-id:<platform>:<appid>[:<openid>]:<type>`), value = the JSON of the value object, expiry on the key
 * (`PXAT`), none for "never". A read is one EVALSHA returning value and `PEXPIRETIME`, so the absolute expiry
 * round-trips exactly and keys written by uni-open-bridge (`EX` seconds) read with their expiry.
 * Needs Redis 7.0 or later.
 */
export function redisStore(options: RedisStoreOptions): CredentialStore {
  const resolved = resolveOptions(options)
  const { keyPrefix, name } = resolved
  let owned: Redis | undefined
  // Without an offline queue, commands sent before the first connection would fail; they wait for it once.
  let connecting: Promise<void> | undefined
  if (resolved.client === undefined) {
    owned = createFailFastClient(resolved.url, resolved.commandTimeout)
    connecting = firstConnection(owned, resolved.commandTimeout * 2).then(() => void (connecting = undefined))
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
      const reply = await client.openBridgeRead(keyPrefix + key)
      if (reply === null) return undefined
      const expireTime = reply[1]
      const expiresAt = expireTime < 0 ? null : expireTime
      // A replica may serve a key its primary has already expired.
      if (expiresAt !== null && expiresAt <= Date.now()) return undefined
      return { value: parseValue(reply[0], key), expiresAt }
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
    const json = JSON.stringify(record.value)
    if (record.expiresAt === null) {
      await client.set(keyPrefix + key, json)
    } else if (record.expiresAt <= Date.now()) {
      // Already dead: make sure no older copy outlives it.
      await client.del(keyPrefix + key)
    } else {
      // PXAT takes whole milliseconds; rounding down never keeps a record past its expiry.
      await client.set(keyPrefix + key, json, 'PXAT', Math.floor(record.expiresAt))
    }
  }
}

function parseValue(json: string, key: string): CredentialValue {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    value = undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RedisStoreError('E_REDIS_CORRUPT_RECORD', `redis key ${key} does not hold the JSON of a value object`, { field: key })
  }
  return value as CredentialValue
}
