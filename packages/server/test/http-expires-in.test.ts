import { memoryStore } from '@open-bridge/core'
import { afterEach, describe, expect, it } from 'vitest'
import { EXPIRES_IN_HEADER } from '@open-bridge/remote'
import { memoryBridge, startApp, type Running } from './http-support.js'

const KEY = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' }
let running: Running | undefined
afterEach(async () => {
  await running?.close()
  running = undefined
})

describe('x-ob-expires-in (the life of an answered value, for remoteBridge clients)', () => {
  it('get* answers carry the remaining seconds; the body stays the value object', async () => {
    const store = memoryStore()
    const bridge = memoryBridge([store])
    running = await startApp({ bridge, expiryOf: async (storageKey) => (await store.get(storageKey))?.expiresAt })
    await running.post('/setAccessToken', { ...KEY, value: { access_token: 'AT-1' }, expiresIn: 600 }, { sign: false })
    const got = await running.post('/getAccessToken', KEY, { sign: false })
    expect(got.json).toEqual({ access_token: 'AT-1' })
    const seconds = Number(got.headers.get(EXPIRES_IN_HEADER))
    expect(seconds).toBeGreaterThan(590)
    expect(seconds).toBeLessThanOrEqual(600)
    // Never-expiring values say -1; a miss (null) and set/remove answers say nothing.
    await running.post('/setTicket', { ...KEY, value: { ticket: 'T-1' } }, { sign: false })
    expect((await running.post('/getTicket', KEY, { sign: false })).headers.get(EXPIRES_IN_HEADER)).toBe('-1')
    expect(
      (await running.post('/getSessionKey', { ...KEY, openid: 'o1' }, { sign: false })).headers.get(EXPIRES_IN_HEADER),
    ).toBeNull()
    expect((await running.post('/removeTicket', KEY, { sign: false })).headers.get(EXPIRES_IN_HEADER)).toBeNull()
    await bridge.close()
  })

  it('without expiryOf no header is sent (buildApp as before)', async () => {
    const bridge = memoryBridge()
    running = await startApp({ bridge })
    await running.post('/setAccessToken', { ...KEY, value: { access_token: 'AT-1' }, expiresIn: 600 }, { sign: false })
    const got = await running.post('/getAccessToken', KEY, { sign: false })
    expect(got.json).toEqual({ access_token: 'AT-1' })
    expect(got.headers.get(EXPIRES_IN_HEADER)).toBeNull()
    await bridge.close()
  })

  it('a lookup that throws costs the header, not the answer', async () => {
    const bridge = memoryBridge()
    running = await startApp({ bridge, expiryOf: () => Promise.reject(new Error('tier down')) })
    await running.post('/setAccessToken', { ...KEY, value: { access_token: 'AT-1' }, expiresIn: 600 }, { sign: false })
    const got = await running.post('/getAccessToken', KEY, { sign: false })
    expect(got.status).toBe(200)
    expect(got.json).toEqual({ access_token: 'AT-1' })
    expect(got.headers.get(EXPIRES_IN_HEADER)).toBeNull()
    await bridge.close()
  })
})
