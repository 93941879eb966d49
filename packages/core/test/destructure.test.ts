import { inspect } from 'node:util'
import {
  createBridge,
  memoryStore,
  type CredentialBridge,
  type CredentialSource,
  type CredentialStore,
} from '@open-bridge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BRIDGE_METHODS } from '../src/bridge.js'

// uniCloud code destructures uni-open-bridge-common's module: `const { getAccessToken } = require(…)`.
// The same against a bridge must work: every call below is made on a function taken off the bridge, `this` unset.

const apps = [{ dcloudAppid: '__UNI__A', platform: 'weixin-mp' as const, appid: 'wx123', secret: 'mp-secret' }]
const app = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' as const }
const h5 = { appid: 'wxh5', platform: 'weixin-h5' as const }
const user = { ...app, openid: 'o-1' }
const encrypt = { ...user, version: 2 }

/**
 * Answers every kind with a numbered value, so a refresh is seen to have fetched. Its 7,200 s life is longer than
 * the 600 s of the values the tests set: a fetched credential that is not fresher than the stored one is not kept.
 */
function countingSource(): CredentialSource & { calls: number } {
  const source = {
    calls: 0,
    async fetch(kind: string) {
      source.calls++
      const n = `fresh-${source.calls}`
      const value =
        kind === 'ticket'
          ? { ticket: n }
          : kind === 'encrypt_key'
            ? { encrypt_key: n, iv: 'iv' }
            : kind === 'session_key'
              ? { session_key: n }
              : { access_token: n }
      return { value, expiresIn: 7200 } as never
    },
  }
  return source
}

let store: CredentialStore
let source: ReturnType<typeof countingSource>
let bridge: CredentialBridge
beforeEach(() => {
  store = memoryStore()
  source = countingSource()
  bridge = createBridge({ stores: [store], apps, source })
})
afterEach(() => bridge.close())

describe('destructured methods keep their bridge', () => {
  it('covers the fifteen, the four refresh* and get / set / remove / refresh / getRecord', () => {
    expect([...BRIDGE_METHODS].sort()).toEqual(
      [
        ...['AccessToken', 'UserAccessToken', 'SessionKey', 'EncryptKey', 'Ticket'].flatMap((k) => [
          `get${k}`,
          `set${k}`,
          `remove${k}`,
        ]),
        ...['AccessToken', 'UserAccessToken', 'EncryptKey', 'Ticket'].map((k) => `refresh${k}`),
        'get',
        'set',
        'remove',
        'refresh',
        'getRecord',
      ].sort(),
    )
    for (const name of BRIDGE_METHODS) {
      const { [name]: method } = bridge
      expect(typeof method, name).toBe('function')
      // Own, so `this` never matters, and not enumerable, so spreading or inspecting a bridge shows no 23 functions.
      expect(Object.getOwnPropertyDescriptor(bridge, name)?.enumerable, name).toBe(false)
    }
    expect(Object.keys(bridge)).toEqual([])
    expect(inspect(bridge)).not.toContain('bound')
  })

  it('access_token: set / get / remove / refresh, this unset', async () => {
    const { setAccessToken, getAccessToken, removeAccessToken, refreshAccessToken } = bridge
    await setAccessToken(app, { access_token: 'AT' }, 600)
    expect((await store.get('uni-id:weixin-mp:wx123:access-token'))?.value).toEqual({ access_token: 'AT' })
    expect(await getAccessToken(app)).toEqual({ access_token: 'AT' })
    expect(await refreshAccessToken(app, { ifValue: 'AT' })).toEqual({ access_token: 'fresh-1' })
    await removeAccessToken(app)
    expect(await store.get('uni-id:weixin-mp:wx123:access-token')).toBeUndefined()
  })

  it('the uni-open-bridge-common fallback signature works on a destructured get', async () => {
    const { getAccessToken } = createBridge({ stores: [memoryStore()], apps })
    const seen: unknown[] = []
    const value = await getAccessToken(app, async (key) => {
      seen.push(key)
      return { value: { access_token: 'from-fallback' }, duration: 60 }
    })
    expect(value).toEqual({ access_token: 'from-fallback' })
    expect(seen).toEqual([{ ...app, appid: 'wx123' }])
    expect(await getAccessToken(app)).toEqual({ access_token: 'from-fallback' })
  })

  it('user_access_token: set / get / remove / refresh', async () => {
    const { setUserAccessToken, getUserAccessToken, removeUserAccessToken, refreshUserAccessToken } = bridge
    await setUserAccessToken(user, { access_token: 'UAT' }, 600)
    expect((await store.get('uni-id:weixin-mp:wx123:o-1:user-access-token'))?.value).toEqual({ access_token: 'UAT' })
    expect(await getUserAccessToken(user)).toEqual({ access_token: 'UAT' })
    expect(await refreshUserAccessToken(user, { ifValue: 'UAT' })).toEqual({ access_token: 'fresh-1' })
    await removeUserAccessToken(user)
    expect(await store.get('uni-id:weixin-mp:wx123:o-1:user-access-token')).toBeUndefined()
  })

  it('session_key: set / get / remove', async () => {
    const { setSessionKey, getSessionKey, removeSessionKey } = bridge
    await setSessionKey(user, { session_key: 'SK' })
    expect(await getSessionKey(user)).toEqual({ session_key: 'SK' })
    await removeSessionKey(user)
    expect(await store.get('uni-id:weixin-mp:wx123:o-1:session-key')).toBeUndefined()
  })

  it('encrypt_key: set / get / remove / refresh', async () => {
    const { setEncryptKey, getEncryptKey, removeEncryptKey, refreshEncryptKey } = bridge
    await setEncryptKey(encrypt, { encrypt_key: 'EK', iv: 'IV' }, 3600)
    expect(await getEncryptKey(encrypt)).toEqual({ encrypt_key: 'EK', iv: 'IV' })
    expect(await refreshEncryptKey(encrypt, { ifValue: 'EK' })).toEqual({ encrypt_key: 'fresh-1', iv: 'iv' })
    await removeEncryptKey(encrypt)
    expect(await store.get('uni-id:weixin-mp:wx123:o-1:encrypt-key-2')).toBeUndefined()
  })

  it('ticket: set / get / remove / refresh', async () => {
    const { setTicket, getTicket, removeTicket, refreshTicket } = bridge
    await setTicket(h5, { ticket: 'T' }, 600)
    expect(await getTicket(h5)).toEqual({ ticket: 'T' })
    expect(await refreshTicket(h5, { ifValue: 'T' })).toEqual({ ticket: 'fresh-1' })
    await removeTicket(h5)
    expect(await store.get('uni-id:weixin-h5:wxh5:ticket')).toBeUndefined()
  })

  it('generic get / set / remove / refresh', async () => {
    const { get, set, remove, refresh } = bridge
    await set('session_key', user, { session_key: 'SK' }, 60)
    expect(await get('session_key', user)).toEqual({ session_key: 'SK' })
    expect(await refresh('access_token', app)).toEqual({ access_token: 'fresh-1' })
    await remove('session_key', user)
    expect(await store.get('uni-id:weixin-mp:wx123:o-1:session-key')).toBeUndefined()
    expect(source.calls).toBe(1)
  })

  it('a destructured method stays with the bridge it came from, and rejects E_CLOSED once that bridge closes', async () => {
    const other = createBridge({ stores: [memoryStore()], apps })
    const { setAccessToken: setOther, getAccessToken: getOther } = other
    const { getAccessToken } = bridge
    await setOther(app, { access_token: 'OTHER' }, 60)
    expect(await getOther(app)).toEqual({ access_token: 'OTHER' })
    expect(await getAccessToken(app)).toEqual({ access_token: 'fresh-1' }) // this bridge's source, not the other's store
    await other.close()
    await expect(getOther(app)).rejects.toMatchObject({ code: 'E_CLOSED' })
    expect(await getAccessToken(app)).toEqual({ access_token: 'fresh-1' })
  })

  it('called with another `this` (call, apply, a method of another object), a method still uses its own bridge', async () => {
    await bridge.setAccessToken(app, { access_token: 'MINE' }, 60)
    const other = createBridge({ stores: [memoryStore()], apps })
    const borrowed = { getAccessToken: bridge.getAccessToken }
    expect(await borrowed.getAccessToken(app)).toEqual({ access_token: 'MINE' })
    expect(await bridge.getAccessToken.call(other, app)).toEqual({ access_token: 'MINE' })
    await other.close()
  })

  it('bad input through a destructured method is still a typed error naming the field', async () => {
    const { getSessionKey, setTicket } = bridge
    await expect(getSessionKey({ ...app, openid: '' })).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
      field: 'key.openid',
    })
    await expect(setTicket(h5, 'T' as never)).rejects.toMatchObject({ code: 'E_INVALID_VALUE', field: 'value' })
  })
})
