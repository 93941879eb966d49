import { isLive, secretStringsOf, ttlMsOf, type CredentialStore, type StoredRecord } from '@open-bridge/core'
import { closeClient, createFailFastClient, firstConnection, type FailFastClient } from './connection.js'
import { invalidConfig, redisFailure, type RedisStoreError } from './errors.js'
import { resolveOptions, type RedisStoreOptions } from './options.js'
import { decodeRecord, encodeRecord } from './record-json.js'
import { redisLock } from './redis-lock.js'
import { redisPersistence } from './redis-persistence.js'
import { redisWatch } from './redis-watch.js'
import { defineScripts } from './scripts.js'

/** What `keys()` needs of a client or of one Cluster node. */
interface ScanNode {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>
}

/**
 * A Redis tier in uni-open-bridge's layout: key `<keyPrefix><storageKey>` (storage keys are
 * `uni-id:<platform>:<appid>[:<openid>]:<type>`), value = the JSON of the value object plus `__expiresAt`
 * (see record-json.ts), TTL on the key (`PX`), none for "never". A read is one `GET`; only a value written
 * without `__expiresAt` (by uni-open-bridge) costs a second command, `PTTL`. Works with Redis 2.6.12 and later.
 */
export function redisStore(options: RedisStoreOptions): CredentialStore {
  const resolved = resolveOptions(options)
  const { keyPrefix, name, secrets, notify } = resolved
  let owned: FailFastClient | undefined
  // Without an offline queue, commands sent before the first connection would fail; they wait for it once.
  let connecting: Promise<void> | undefined
  if (resolved.client === undefined) {
    try {
      owned = createFailFastClient(resolved.url, resolved.socketTimeout)
    } catch {
      // The URL was checked; should ioredis still refuse it, its error may quote the URL: not passed on.
      throw invalidConfig('url', 'redisStore url could not be read by ioredis')
    }
    connecting = firstConnection(owned.client, resolved.socketTimeout * 2).then(() => {
      connecting = undefined
    })
  }
  const client = defineScripts(owned?.client ?? resolved.client!)
  const ready = async () => {
    if (connecting !== undefined) await connecting
  }
  /** Every driver error leaves as a RedisStoreError with a sanitised cause; `extra` are values to mask too. */
  const fail = (operation: string, error: unknown, extra: readonly string[] = []): RedisStoreError =>
    redisFailure(operation, error, [...secrets, ...extra], owned?.lastError())
  let closed = false
  const notices = notify ? redisWatch(client, keyPrefix) : undefined

  const store: CredentialStore = {
    name,
    // Whether Redis keeps data across a restart depends on its own config (RDB / AOF): see the README.
    persistent: true,
    get: async (key) => {
      try {
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
        const record: StoredRecord = { value: decoded.value, expiresAt }
        // A replica may serve a key its primary has already expired.
        return isLive(record) ? record : undefined
      } catch (error) {
        throw fail('get', error)
      }
    },
    set: async (key, record) => {
      try {
        await ready()
        await write(key, record)
        notices?.notify(key)
      } catch (error) {
        throw fail('set', error, secretStringsOf(record.value))
      }
    },
    delete: async (key) => {
      try {
        await ready()
        await client.del(keyPrefix + key)
        notices?.notify(key)
      } catch (error) {
        throw fail('delete', error)
      }
    },
    lock: redisLock(client, (lockName) => `${keyPrefix}lock:${lockName}`, ready, fail),
    keys: async function* () {
      try {
        await ready()
      } catch (error) {
        throw fail('keys', error)
      }
      // Credential keys only (`<keyPrefix>uni-id:…`), never the locks (`<keyPrefix>lock:…`); on a Cluster, every primary.
      const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}uni-id:*`
      const cluster = client as unknown as { nodes?: (role: 'master') => ScanNode[] }
      const nodes: ScanNode[] =
        typeof cluster.nodes === 'function' ? cluster.nodes('master') : [client as unknown as ScanNode]
      for (const node of nodes) {
        let cursor = '0'
        do {
          let reply: [string, string[]]
          try {
            reply = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
          } catch (error) {
            throw fail('keys', error)
          }
          cursor = reply[0]
          for (const redisKey of reply[1]) yield redisKey.slice(keyPrefix.length)
        } while (cursor !== '0')
      }
    },
    persistence: async () => {
      const cluster = client as unknown as { nodes?: (role: 'master') => Parameters<typeof redisPersistence>[0] }
      try {
        await ready()
        return await redisPersistence(
          typeof cluster.nodes === 'function'
            ? cluster.nodes('master')
            : [client as unknown as Parameters<typeof redisPersistence>[0][number]],
        )
      } catch (error) {
        throw fail('persistence', error)
      }
    },
    compareAndSet: async (key, expected, record) => {
      try {
        await ready()
        const ttl = ttlMsOf(record)
        // A dead record is never what a holder writes; written, it could only delete: refuse it as a no-op.
        if (ttl !== null && ttl <= 0) return false
        const seen = expected === undefined ? '' : encodeRecord(expected)
        const absentMatches = expected === undefined || !isLive(expected) ? '1' : '0'
        const wrote = await client.openBridgeCompareAndSet(
          keyPrefix + key,
          seen,
          absentMatches,
          encodeRecord(record),
          ttl === null ? '' : String(ttl),
        )
        if (wrote !== 1) return false
        notices?.notify(key)
        return true
      } catch (error) {
        const literals = [...secretStringsOf(record.value), ...(expected ? secretStringsOf(expected.value) : [])]
        throw fail('compare-and-set', error, literals)
      }
    },
    close: async () => {
      if (closed) return
      closed = true
      notices?.close()
      if (owned) await closeClient(owned.client)
    },
  }
  if (notices !== undefined) store.watch = (key, onChange) => notices.watch(key, onChange)
  return store

  async function write(key: string, record: StoredRecord): Promise<void> {
    const json = encodeRecord(record)
    const ttl = ttlMsOf(record)
    if (ttl === null) {
      await client.set(keyPrefix + key, json)
    } else if (ttl <= 0) {
      // Already dead: make sure no older copy outlives it.
      await client.del(keyPrefix + key)
    } else {
      // The key may outlive the record by under a millisecond; reads go by __expiresAt, which is exact.
      await client.set(keyPrefix + key, json, 'PX', ttl)
    }
  }
}
