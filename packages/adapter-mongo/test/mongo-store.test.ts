import { isBridgeError, type CredentialStore } from '@open-bridge/core'
import { runStoreContract } from '@open-bridge/core/testing'
import { mongoStore, type MongoStoreOptions } from '@open-bridge/adapter-mongo'
import { MongoClient, type CommandStartedEvent, type Db, type Document } from 'mongodb'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../../test-support/redis-server.js'

/** Nothing listens on port 9 (discard); the driver connects lazily, so these stores never try. */
const UNREACHABLE = 'mongodb://127.0.0.1:9'

function rejectionOf(options: unknown): { code?: string; field?: string; message: string } {
  try {
    mongoStore(options as MongoStoreOptions)
  } catch (error) {
    expect(isBridgeError(error)).toBe(true)
    return error as { code?: string; field?: string; message: string }
  }
  throw new Error('expected mongoStore to throw')
}

describe('mongoStore options (no server needed)', () => {
  it.each([
    ['no options', undefined, 'options'],
    ['neither db nor url', {}, 'db'],
    ['both db and url', { db: new MongoClient(UNREACHABLE).db('a'), url: UNREACHABLE, dbName: 'a' }, 'url'],
    ['a db that is not a Db', { db: {} }, 'db'],
    ['dbName with db', { db: new MongoClient(UNREACHABLE).db('a'), dbName: 'a' }, 'dbName'],
    ['connectTimeout with db', { db: new MongoClient(UNREACHABLE).db('a'), connectTimeout: 500 }, 'connectTimeout'],
    [
      'serverSelectionTimeout with db',
      { db: new MongoClient(UNREACHABLE).db('a'), serverSelectionTimeout: 500 },
      'serverSelectionTimeout',
    ],
    ['an empty url', { url: '', dbName: 'a' }, 'url'],
    ['a url that is not a string', { url: 27017, dbName: 'a' }, 'url'],
    ['a url of another scheme', { url: 'postgres://localhost/a', dbName: 'a' }, 'url'],
    ['url without dbName', { url: UNREACHABLE }, 'dbName'],
    ['a dbName with a dot', { url: UNREACHABLE, dbName: 'a.b' }, 'dbName'],
    ['an empty collection', { url: UNREACHABLE, dbName: 'a', collection: '' }, 'collection'],
    ['a collection with $', { url: UNREACHABLE, dbName: 'a', collection: 'a$b' }, 'collection'],
    ['a system collection', { url: UNREACHABLE, dbName: 'a', lockCollection: 'system.locks' }, 'lockCollection'],
    [
      'the same collection for locks',
      { url: UNREACHABLE, dbName: 'a', collection: 'x', lockCollection: 'x' },
      'lockCollection',
    ],
    ['an empty name', { url: UNREACHABLE, dbName: 'a', name: '' }, 'name'],
  ])('rejects %s with E_INVALID_CONFIG naming the field', (_, options, field) => {
    expect(rejectionOf(options)).toMatchObject({ code: 'E_INVALID_CONFIG', field })
  })

  it('never echoes the connection string, which may hold a password', () => {
    const error = rejectionOf({ url: 'postgres://admin:hunter2@db.internal/app', dbName: 'app' })
    expect(error.field).toBe('url')
    expect(error.message).not.toContain('hunter2')
    expect(error.message).not.toContain('db.internal')
  })

  it('builds a store from a url without connecting, with a lock, and closes it twice', async () => {
    const store = mongoStore({ url: UNREACHABLE, dbName: 'app' })
    expect(store.name).toBe('mongo')
    expect(store.lock).toBeDefined()
    await expect(store.close()).resolves.toBeUndefined()
    await expect(store.close()).resolves.toBeUndefined()
  })

  it('takes a Db the caller owns and a custom name', async () => {
    const client = new MongoClient(UNREACHABLE)
    const store = mongoStore({ db: client.db('app'), name: 'mongo-eu' })
    expect(store.name).toBe('mongo-eu')
    await store.close()
    await client.close()
  })
})

const url = process.env.MONGODB_URL
if (url) {
  const dbName = `open_bridge_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  let client: MongoClient
  let db: Db
  const commands: CommandStartedEvent[] = []

  beforeAll(async () => {
    client = new MongoClient(url, { monitorCommands: true })
    client.on('commandStarted', (event) => commands.push(event))
    await client.connect()
    db = client.db(dbName)
  })
  afterAll(async () => {
    await db?.dropDatabase()
    await client?.close()
  })

  runStoreContract('mongoStore', {
    create: () => mongoStore({ url, dbName }),
    lock: true,
    compareAndSet: true,
    // Nothing listens on a fresh free port: every operation fails, and the url's password must not show.
    failing: async () => ({
      store: mongoStore({
        url: `mongodb://u:Contract-pw-5@127.0.0.1:${await freePort()}`,
        dbName,
        serverSelectionTimeout: 200,
      }),
      secrets: ['Contract-pw-5'],
    }),
  })

  describe('mongoStore layout (MongoDB at MONGODB_URL)', () => {
    let run = 0
    let store: CredentialStore
    let collection: string
    let lockCollection: string
    const raw = (name: string, id: string) => db.collection<Document & { _id: string }>(name).findOne({ _id: id })

    const open = () => {
      run++
      collection = `credentials-${run}`
      lockCollection = `locks-${run}`
      store = mongoStore({ db, collection, lockCollection })
      return store
    }
    afterEach(async () => {
      await store?.close()
    })

    it('writes _id = key, value as an object and expired as a Date', async () => {
      open()
      const expiresAt = Date.now() + 7_200_000
      await store.set('uni-id:weixin-mp:wx1:access-token', {
        value: { access_token: 'AT', expires_in: 7200 },
        expiresAt,
      })
      const document = await raw(collection, 'uni-id:weixin-mp:wx1:access-token')
      expect(document).toEqual({
        _id: 'uni-id:weixin-mp:wx1:access-token',
        value: { access_token: 'AT', expires_in: 7200 },
        expired: new Date(expiresAt),
      })
      expect(document?.expired).toBeInstanceOf(Date)
    })

    it('leaves expired out of a record that never expires', async () => {
      open()
      await store.set('uni-id:weixin-mp:wx1:user1:session-key', { value: { session_key: 'sk' }, expiresAt: null })
      const document = await raw(collection, 'uni-id:weixin-mp:wx1:user1:session-key')
      expect(document).toEqual({ _id: 'uni-id:weixin-mp:wx1:user1:session-key', value: { session_key: 'sk' } })
      expect(document && 'expired' in document).toBe(false)
    })

    it('creates a TTL index (expireAfterSeconds 0) on expired and on the lock expiry', async () => {
      open()
      await store.set('k', { value: { ticket: 't' }, expiresAt: Date.now() + 60_000 })
      expect(await store.lock?.acquire('k', 'holder', 10_000)).toBe(true)
      const credentialIndexes = await db.collection(collection).listIndexes().toArray()
      expect(credentialIndexes).toContainEqual(expect.objectContaining({ key: { expired: 1 }, expireAfterSeconds: 0 }))
      const lockIndexes = await db.collection(lockCollection).listIndexes().toArray()
      expect(lockIndexes).toContainEqual(expect.objectContaining({ key: { expiresAt: 1 }, expireAfterSeconds: 0 }))
    })

    it('creates each index once, not per call', async () => {
      open()
      for (let i = 0; i < 5; i++)
        await store.set(`k${i}`, { value: { ticket: `t${i}` }, expiresAt: Date.now() + 60_000 })
      for (let i = 0; i < 3; i++) await store.lock?.acquire(`lock${i}`, 'holder', 10_000)
      const createIndexes = (name: string) =>
        commands.filter(
          (event) =>
            event.commandName === 'createIndexes' &&
            event.databaseName === dbName &&
            event.command.createIndexes === name,
        )
      expect(createIndexes(collection)).toHaveLength(1)
      expect(createIndexes(lockCollection)).toHaveLength(1)
    })

    it("reads uni-open-bridge's documents (JSON-string value, ms or -1 expiry) and skips expired ones", async () => {
      open()
      const expiresAt = Date.now() + 60_000
      await db.collection<Document & { _id: string }>(collection).insertMany([
        { _id: 'legacy-live', value: JSON.stringify({ access_token: 'old-layout' }), expired: expiresAt },
        { _id: 'legacy-never', value: JSON.stringify({ session_key: 'sk' }), expired: -1 },
        { _id: 'legacy-expired', value: JSON.stringify({ access_token: 'dead' }), expired: Date.now() - 1_000 },
      ])
      expect(await store.get('legacy-live')).toEqual({ value: { access_token: 'old-layout' }, expiresAt })
      expect(await store.get('legacy-never')).toEqual({ value: { session_key: 'sk' }, expiresAt: null })
      expect(await store.get('legacy-expired')).toBeUndefined()
    })

    it('rewrites a legacy document in its own layout on set', async () => {
      open()
      await db
        .collection<Document & { _id: string }>(collection)
        .insertOne({ _id: 'migrate', value: '{"ticket":"old"}', expired: -1 })
      await store.set('migrate', { value: { ticket: 'new' }, expiresAt: null })
      expect(await raw(collection, 'migrate')).toEqual({ _id: 'migrate', value: { ticket: 'new' } })
    })

    it('does not return an expired document the TTL monitor has not removed yet', async () => {
      open()
      await db
        .collection<Document & { _id: string }>(collection)
        .insertOne({ _id: 'stale', value: { access_token: 'x' }, expired: new Date(Date.now() - 1_000) })
      expect(await raw(collection, 'stale')).not.toBeNull()
      expect(await store.get('stale')).toBeUndefined()
    })

    it('lists the _id of every live document for the walks of export / copy / rekey (any layout of expired)', async () => {
      open()
      const docs = db.collection<Document & { _id: string }>(collection)
      await store.set('uni-id:weixin-mp:wx1:access-token', {
        value: { access_token: 'a' },
        expiresAt: Date.now() + 60_000,
      })
      await store.set('uni-id:weixin-mp:wx1:o1:session-key', { value: { session_key: 's' }, expiresAt: null })
      await docs.insertOne({ _id: 'uni-id:weixin-mp:wx2:access-token', value: '{}', expired: Date.now() + 60_000 })
      await docs.insertOne({ _id: 'uni-id:weixin-mp:wx3:access-token', value: '{}', expired: -1 })
      await docs.insertOne({ _id: 'stale', value: { access_token: 'x' }, expired: new Date(Date.now() - 1_000) })
      await docs.insertOne({ _id: 'bad-expiry', value: { access_token: 'x' }, expired: 'soon' })
      const keys: string[] = []
      for await (const key of store.keys!()) keys.push(key)
      expect(keys.sort()).toEqual([
        'uni-id:weixin-mp:wx1:access-token',
        'uni-id:weixin-mp:wx1:o1:session-key',
        'uni-id:weixin-mp:wx2:access-token',
        'uni-id:weixin-mp:wx3:access-token',
      ])
    })

    it('rejects a corrupt document with E_MONGO_CORRUPT_RECORD', async () => {
      open()
      await db.collection<Document & { _id: string }>(collection).insertOne({ _id: 'corrupt', value: 42 })
      await expect(store.get('corrupt')).rejects.toMatchObject({ code: 'E_MONGO_CORRUPT_RECORD', field: 'value' })
    })

    it('keeps a lock as { _id, token, expiresAt: Date } in the lock collection', async () => {
      open()
      const before = Date.now()
      expect(await store.lock?.acquire('refresh:uni-id:weixin-mp:wx1:access-token', 'token-1', 30_000)).toBe(true)
      const after = Date.now()
      const document = await raw(lockCollection, 'refresh:uni-id:weixin-mp:wx1:access-token')
      expect(document).toEqual({
        _id: 'refresh:uni-id:weixin-mp:wx1:access-token',
        token: 'token-1',
        expiresAt: expect.any(Date),
      })
      const expiresAt = (document?.expiresAt as Date | undefined)?.getTime() ?? Number.NaN
      expect(expiresAt).toBeGreaterThanOrEqual(before + 30_000)
      expect(expiresAt).toBeLessThanOrEqual(after + 30_000)
      expect(await raw(collection, 'refresh:uni-id:weixin-mp:wx1:access-token')).toBeNull()
    })

    it('leaves a Db the caller passed open on close()', async () => {
      open()
      await store.set('k', { value: { ticket: 't' }, expiresAt: null })
      await store.close()
      expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 })
      expect(await raw(collection, 'k')).not.toBeNull()
    })
  })
} else {
  console.warn(
    'adapter-mongo: MongoDB suite SKIPPED (store contract, document layout, TTL index): MONGODB_URL is not set (set it to a MongoDB connection string to run it).',
  )
}
