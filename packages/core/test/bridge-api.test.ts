import { createBridge, memoryStore, type CredentialBridge, type CredentialStore } from '@open-bridge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'

const apps = [
  { dcloudAppid: '__UNI__A', platform: 'weixin-mp' as const, appid: 'wx123', secret: 'mp-secret' },
  { dcloudAppid: '__UNI__A', platform: 'weixin-h5' as const, appid: 'wxh5', secret: 'h5-secret' },
]

let store: CredentialStore
let bridge: CredentialBridge
beforeEach(() => {
  store = memoryStore()
  bridge = createBridge({ stores: [store], apps })
})
afterEach(() => bridge.close())

describe('the fifteen uni-open-bridge-common methods', () => {
  const byDcloud = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' as const }
  const byAppid = { appid: 'wx123', platform: 'weixin-mp' as const }

  it('access_token: set by dcloudAppid, get by appid, remove', async () => {
    await bridge.setAccessToken(byDcloud, { access_token: 'AT' }, 7200)
    expect(await bridge.getAccessToken(byAppid)).toEqual({ access_token: 'AT' })
    expect(await bridge.getAccessToken(byDcloud)).toEqual({ access_token: 'AT' })
    await bridge.removeAccessToken(byAppid)
    expect(await bridge.getAccessToken(byDcloud)).toBeNull()
  })

  it('user_access_token round-trips per openid', async () => {
    const key = { ...byDcloud, platform: 'weixin-h5' as const, openid: 'o-1' }
    await bridge.setUserAccessToken(key, { access_token: 'UAT', refresh_token: 'RT' }, 7200)
    expect(await bridge.getUserAccessToken(key)).toEqual({ access_token: 'UAT', refresh_token: 'RT' })
    expect(await bridge.getUserAccessToken({ ...key, openid: 'o-2' })).toBeNull()
    await bridge.removeUserAccessToken(key)
    expect(await bridge.getUserAccessToken(key)).toBeNull()
  })

  it('user_refresh_token (generic methods only) round-trips per openid, stored apart from the user access_token', async () => {
    const key = { ...byAppid, platform: 'weixin-h5' as const, openid: 'o-1' }
    await bridge.set('user_refresh_token', key, { refresh_token: 'RT' }, 30 * 86_400)
    await bridge.setUserAccessToken(key, { access_token: 'UAT' }, 7200)
    expect((await store.get('uni-id:weixin-h5:wx123:o-1:user-refresh-token'))?.value).toEqual({ refresh_token: 'RT' })
    await bridge.removeUserAccessToken(key)
    expect(await bridge.get('user_refresh_token', key)).toEqual({ refresh_token: 'RT' })
    await bridge.remove('user_refresh_token', key)
    expect(await bridge.get('user_refresh_token', key)).toBeNull()
    await expect(bridge.get('user_refresh_token', { ...byAppid } as never)).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
      field: 'key.openid',
    })
  })

  it('session_key round-trips per openid', async () => {
    const key = { ...byAppid, openid: 'o-1' }
    await bridge.setSessionKey(key, { session_key: 'SK' })
    expect(await bridge.getSessionKey(key)).toEqual({ session_key: 'SK' })
    await bridge.removeSessionKey(key)
    expect(await bridge.getSessionKey(key)).toBeNull()
  })

  it('encrypt_key round-trips per openid and version', async () => {
    const key = { ...byDcloud, openid: 'o-1', version: 3 }
    await bridge.setEncryptKey(key, { encrypt_key: 'EK', iv: 'IV' }, 3600)
    expect(await bridge.getEncryptKey(key)).toEqual({ encrypt_key: 'EK', iv: 'IV' })
    expect(await bridge.getEncryptKey({ ...key, version: 4 })).toBeNull()
    await bridge.removeEncryptKey(key)
    expect(await bridge.getEncryptKey(key)).toBeNull()
  })

  it('ticket round-trips, jsapi and wx_card apart', async () => {
    const key = { dcloudAppid: '__UNI__A', platform: 'weixin-h5' as const }
    await bridge.setTicket(key, { ticket: 'JSAPI' }, 7200)
    await bridge.setTicket({ ...key, ticketType: 'wx_card' }, { ticket: 'CARD' }, 7200)
    expect(await bridge.getTicket(key)).toEqual({ ticket: 'JSAPI' })
    expect(await bridge.getTicket({ ...key, ticketType: 'jsapi' })).toEqual({ ticket: 'JSAPI' })
    expect(await bridge.getTicket({ ...key, ticketType: 'wx_card' })).toEqual({ ticket: 'CARD' })
    await bridge.removeTicket(key)
    expect(await bridge.getTicket(key)).toBeNull()
    expect(await bridge.getTicket({ ...key, ticketType: 'wx_card' })).toEqual({ ticket: 'CARD' })
  })

  it('the generic get / set / remove reach the same records', async () => {
    await bridge.set('session_key', { ...byAppid, openid: 'o-9' }, { session_key: 'SK9' }, 60)
    expect(await bridge.getSessionKey({ ...byDcloud, openid: 'o-9' })).toEqual({ session_key: 'SK9' })
    expect(await bridge.get('session_key', { ...byDcloud, openid: 'o-9' })).toEqual({ session_key: 'SK9' })
    await bridge.remove('session_key', { ...byAppid, openid: 'o-9' })
    expect(await bridge.get('session_key', { ...byAppid, openid: 'o-9' })).toBeNull()
  })

  it('keeps extra fields the platform returned', async () => {
    const value = { access_token: 'AT', expires_in: 7200, scope: 'snsapi_base', nested: { a: [1, 2] } }
    await bridge.setAccessToken(byAppid, value, 7200)
    expect(await bridge.getAccessToken(byAppid)).toEqual(value)
  })
})

describe('storage layout (uni-open-bridge)', () => {
  it.each([
    ['access_token', { dcloudAppid: '__UNI__A', platform: 'weixin-mp' }, 'uni-id:weixin-mp:wx123:access-token'],
    [
      'user_access_token',
      { appid: 'wxh5', platform: 'weixin-h5', openid: 'o1' },
      'uni-id:weixin-h5:wxh5:o1:user-access-token',
    ],
    [
      'session_key',
      { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o1' },
      'uni-id:weixin-mp:wx123:o1:session-key',
    ],
    [
      'encrypt_key',
      { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o1', version: 2 },
      'uni-id:weixin-mp:wx123:o1:encrypt-key-2',
    ],
    ['ticket', { dcloudAppid: '__UNI__A', platform: 'weixin-h5' }, 'uni-id:weixin-h5:wxh5:ticket'],
    ['ticket', { appid: 'wxh5', platform: 'weixin-h5', ticketType: 'wx_card' }, 'uni-id:weixin-h5:wxh5:ticket-wx_card'],
    ['access_token', { appid: '1110000000', platform: 'qq-mp' }, 'uni-id:qq-mp:1110000000:access-token'],
  ] as const)('%s %j is stored under %s', async (kind, key, storageKey) => {
    const value =
      kind === 'ticket'
        ? { ticket: 'v' }
        : kind === 'encrypt_key'
          ? { encrypt_key: 'v', iv: 'i' }
          : kind === 'session_key'
            ? { session_key: 'v' }
            : { access_token: 'v' }
    await bridge.set(kind, key as never, value as never, 60)
    expect((await store.get(storageKey))?.value).toEqual(value)
  })
})

describe('expiry', () => {
  it('stores the absolute expiry, and omitted or -1 means never', async () => {
    const before = Date.now()
    await bridge.setAccessToken({ appid: 'wx123', platform: 'weixin-mp' }, { access_token: 'a' }, 7200)
    const expiresAt = (await store.get('uni-id:weixin-mp:wx123:access-token'))!.expiresAt!
    expect(expiresAt).toBeGreaterThanOrEqual(before + 7_200_000)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7_200_000)

    await bridge.setAccessToken({ appid: 'wx123', platform: 'weixin-mp' }, { access_token: 'b' })
    expect((await store.get('uni-id:weixin-mp:wx123:access-token'))!.expiresAt).toBeNull()
    await bridge.setAccessToken({ appid: 'wx123', platform: 'weixin-mp' }, { access_token: 'c' }, -1)
    expect((await store.get('uni-id:weixin-mp:wx123:access-token'))!.expiresAt).toBeNull()
  })

  it('a credential is gone once its expiresIn has passed', async () => {
    const key = { appid: 'wx123', platform: 'weixin-mp' as const }
    await bridge.setAccessToken(key, { access_token: 'short' }, 0.3)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'short' })
    await sleep(800)
    expect(await bridge.getAccessToken(key)).toBeNull()
  })
})

describe('values handed out', () => {
  it('are frozen, so a caller cannot change what the next caller reads', async () => {
    const key = { appid: 'wx123', platform: 'weixin-mp' as const }
    const written = { access_token: 'AT' }
    await bridge.setAccessToken(key, written, 60)
    written.access_token = 'changed by the writer'
    const read = (await bridge.getAccessToken(key))!
    expect(read).toEqual({ access_token: 'AT' })
    expect(Object.isFrozen(read)).toBe(true)
  })
})

describe('lifecycle', () => {
  it('close() closes the tiers, is idempotent, and later calls fail with E_CLOSED', async () => {
    const key = { appid: 'wx123', platform: 'weixin-mp' as const }
    await bridge.setAccessToken(key, { access_token: 'AT' }, 60)
    await bridge.close()
    await bridge.close()
    expect(await store.get('uni-id:weixin-mp:wx123:access-token')).toBeUndefined()
    await expect(bridge.getAccessToken(key)).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(bridge.setAccessToken(key, { access_token: 'x' })).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(bridge.removeAccessToken(key)).rejects.toMatchObject({ code: 'E_CLOSED' })
  })
})
