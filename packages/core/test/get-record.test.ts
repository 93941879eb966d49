import { describe, expect, it } from 'vitest'
import { createBridge, isBridgeError, memoryStore, type CredentialRecord } from '../src/index.js'

const key = { appid: 'wx-record', platform: 'weixin-mp' } as const

/** A tier that is not in the process (no getSync), so reads go the asynchronous way. */
function farStore(name = 'far') {
  const inner = memoryStore({ name })
  return {
    ...inner,
    name,
    getSync: undefined,
    get: inner.get,
    set: inner.set,
    delete: inner.delete,
    close: inner.close,
  }
}

describe('getRecord: the credential with its life', () => {
  it('a memory hit resolves the value and the expiry the tiers hold', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const before = Date.now()
    await bridge.setAccessToken(key, { access_token: 'T' }, 7200)
    const record = await bridge.getRecord('access_token', key)
    expect(record?.value).toEqual({ access_token: 'T' })
    expect(record?.expiresAt).toBeGreaterThanOrEqual(before + 7_200_000)
    expect(record?.expiresAt).toBeLessThanOrEqual(Date.now() + 7_200_000)
    expect(Object.isFrozen(record)).toBe(true)
    await bridge.close()
  })

  it('-1 (never) is expiresAt null; nothing stored and nothing to fetch is null, as get', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    await bridge.setTicket(key, { ticket: 'forever' }, -1)
    expect(await bridge.getRecord('ticket', key)).toEqual({ value: { ticket: 'forever' }, expiresAt: null })
    expect(await bridge.getRecord('access_token', key)).toBeNull()
    await bridge.close()
  })

  it("a copy kept briefly by memoryStore({ maxTtl }) still reports the record's own expiry, not maxTtl", async () => {
    const far = farStore()
    const bridge = createBridge({ stores: [memoryStore({ maxTtl: 1_000 }), far] })
    const expiresAt = Date.now() + 3_600_000
    await far.set('uni-id:weixin-mp:wx-record:access-token', { value: { access_token: 'FAR' }, expiresAt })
    // First read: from the far tier (copied up); second: from the memory tier, which keeps it 1 s at most.
    expect(await bridge.getRecord('access_token', key)).toEqual({ value: { access_token: 'FAR' }, expiresAt })
    expect(await bridge.getRecord('access_token', key)).toEqual({ value: { access_token: 'FAR' }, expiresAt })
    await bridge.close()
  })

  it('a miss fills through the fallback once for concurrent callers; each gets the life the fallback gave', async () => {
    const bridge = createBridge({ stores: [memoryStore(), farStore()] })
    let calls = 0
    const fallback = async () => {
      calls++
      await new Promise((resolve) => setTimeout(resolve, 20))
      return { value: { access_token: 'FILLED' }, duration: 600 }
    }
    const before = Date.now()
    const records = await Promise.all(Array.from({ length: 20 }, () => bridge.getRecord('access_token', key, fallback)))
    expect(calls).toBe(1)
    for (const record of records) {
      expect(record?.value).toEqual({ access_token: 'FILLED' })
      expect(record?.expiresAt).toBeGreaterThanOrEqual(before + 600_000)
      expect(record?.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000)
    }
    // get and getRecord read the same record
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'FILLED' })
    await bridge.close()
  })

  it('a miss goes to the source, as get does, and is destructurable like the named methods', async () => {
    const bridge = createBridge({
      stores: [memoryStore()],
      source: { fetch: async () => ({ value: { access_token: 'SRC' }, expiresIn: 120 }) as never },
    })
    const { getRecord } = bridge
    const record: CredentialRecord<'access_token'> | null = await getRecord('access_token', key)
    expect(record?.value.access_token).toBe('SRC')
    expect((record?.expiresAt ?? 0) - Date.now()).toBeGreaterThan(100_000)
    await bridge.close()
  })

  it('refuses what get refuses, with the same codes', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const error = await bridge.getRecord('access_token', { platform: 'weixin-mp' } as never).catch((e: unknown) => e)
    expect(isBridgeError(error, 'E_INVALID_KEY')).toBe(true)
    await bridge.close()
    expect(isBridgeError(await bridge.getRecord('access_token', key).catch((e: unknown) => e), 'E_CLOSED')).toBe(true)
  })
})

describe('E_UNKNOWN_APP says which apps the bridge knows, and where they came from', () => {
  const apps = [
    { dcloudAppid: '__UNI__A', platform: 'weixin-mp' as const, appid: 'wxa', secret: 'secret-a-not-shown' },
    { dcloudAppid: '__UNI__A', platform: 'weixin-h5' as const, appid: 'wxah5', secret: 'secret-h5-not-shown' },
    { dcloudAppid: '__UNI__B', platform: 'weixin-mp' as const, appid: 'wxb' },
  ]

  it('on every operation, naming the configured dcloudAppids and platforms, never a secret', async () => {
    const bridge = createBridge({ stores: [memoryStore()], apps, appsFrom: 'uni-id/config.json in /srv/ucc' })
    const unknown = { dcloudAppid: '__UNI__A', platform: 'qq-mp' } as const
    const errors = [
      await bridge.getAccessToken(unknown).catch((e: unknown) => e),
      await bridge.getRecord('access_token', unknown).catch((e: unknown) => e),
      await bridge.setAccessToken(unknown, { access_token: 'x' }).catch((e: unknown) => e),
      await bridge.removeAccessToken(unknown).catch((e: unknown) => e),
      (() => {
        try {
          bridge.resolve('access_token', unknown)
        } catch (error) {
          return error
        }
      })(),
    ]
    for (const error of errors) {
      expect(isBridgeError(error, 'E_UNKNOWN_APP')).toBe(true)
      const { message, field } = error as { message: string; field: string }
      expect(field).toBe('key.dcloudAppid')
      expect(message).toContain('configured: __UNI__A (weixin-mp, weixin-h5); __UNI__B (weixin-mp)')
      expect(message).toContain('apps read from uni-id/config.json in /srv/ucc')
      expect(message).not.toMatch(/secret-/)
    }
    await bridge.close()
  })

  it('without apps it says so; appsFrom must be a string', () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    expect(() => bridge.resolve('access_token', { dcloudAppid: '__UNI__Z', platform: 'weixin-mp' })).toThrow(
      /no app is configured with a dcloudAppid/,
    )
    expect(() => createBridge({ stores: [memoryStore()], appsFrom: 42 as never })).toThrow(/appsFrom must be a string/)
  })
})
