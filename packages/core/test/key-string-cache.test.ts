import { describe, expect, it } from 'vitest'
import { createBridge, memoryStore } from '../src/index.js'
import { AppStringCache, type AppKeyStrings, KEY_CACHE_GENERATION } from '../src/keys.js'

const strings = (appid: string): AppKeyStrings => ({
  platform: 'weixin-mp',
  appid,
  accessToken: `uni-id:weixin-mp:${appid}:access-token`,
  ticket: `uni-id:weixin-mp:${appid}:ticket`,
  wxCardTicket: `uni-id:weixin-mp:${appid}:ticket-wx_card`,
  userPrefix: `uni-id:weixin-mp:${appid}:`,
})

describe('the per-appid key-string cache', () => {
  it('holds at most two generations: a stream of new appids never grows it past twice the generation', () => {
    const cache = new AppStringCache(100)
    for (let i = 0; i < 1_000; i++) cache.add(`wx${i}`, strings(`wx${i}`))
    expect(cache.size).toBeLessThanOrEqual(200)
    expect(cache.size).toBeGreaterThan(100)
  })

  it('keeps a working set as large as a generation: round-robin reads find every entry, none is rebuilt', () => {
    const cache = new AppStringCache(100)
    const built = new Map<string, AppKeyStrings>()
    for (let i = 0; i < 100; i++) {
      const entry = strings(`wx${i}`)
      built.set(entry.appid, entry)
      cache.add(entry.appid, entry)
    }
    for (let round = 0; round < 5; round++) {
      for (const [appid, entry] of built) expect(cache.get(appid)).toBe(entry)
    }
  })

  it('moves an entry read from the previous generation into the current one, so a churn of new appids keeps it', () => {
    const cache = new AppStringCache(10)
    const kept = strings('wx-kept')
    cache.add(kept.appid, kept)
    for (let i = 0; i < 50; i++) {
      cache.add(`wx${i}`, strings(`wx${i}`))
      // Read every few additions: it is in use and must survive generations of made-up appids.
      if (i % 5 === 0) expect(cache.get(kept.appid)).toBe(kept)
    }
    expect(cache.get(kept.appid)).toBe(kept)
    // An appid not read for two generations is gone.
    expect(cache.get('wx0')).toBeUndefined()
  })

  it('a generation covers the 200,000 apps the benchmark reads round-robin', () => {
    expect(KEY_CACHE_GENERATION).toBeGreaterThanOrEqual(200_000)
  })

  it('one appid read on two platforms: each platform its own storage key and value, whichever was read first', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const mp = { appid: 'wx-shared', platform: 'weixin-mp' as const }
    const h5 = { appid: 'wx-shared', platform: 'weixin-h5' as const }
    await bridge.setAccessToken(mp, { access_token: 'MP' }, 60)
    await bridge.setAccessToken(h5, { access_token: 'H5' }, 60)
    await bridge.setTicket(h5, { ticket: 'H5-TICKET' }, 60)
    await bridge.setTicket(mp, { ticket: 'MP-TICKET' }, 60)
    for (let round = 0; round < 3; round++) {
      expect(await bridge.getAccessToken(mp)).toEqual({ access_token: 'MP' })
      expect(await bridge.getAccessToken(h5)).toEqual({ access_token: 'H5' })
      expect(await bridge.getTicket(h5)).toEqual({ ticket: 'H5-TICKET' })
      expect(await bridge.getTicket(mp)).toEqual({ ticket: 'MP-TICKET' })
      expect(await bridge.getTicket({ ...mp, ticketType: 'wx_card' })).toBeNull()
      expect(await bridge.getTicket({ ...mp, ticketType: 'jsapi' })).toEqual({ ticket: 'MP-TICKET' })
      await expect(bridge.getAccessToken({ appid: 'wx-shared', platform: 'weixin-xx' as never })).rejects.toMatchObject(
        {
          code: 'E_INVALID_KEY',
          field: 'key.platform',
        },
      )
    }
    await bridge.close()
  })

  it('through the bridge, every app keeps its uni-open-bridge storage key', async () => {
    const bridge = createBridge({ stores: [memoryStore({ max: 50 })] })
    for (let i = 0; i < 30; i++) {
      const key = { appid: `wx${i}`, platform: 'weixin-mp' as const }
      await bridge.setAccessToken(key, { access_token: `T${i}` }, 60)
    }
    for (let i = 29; i >= 0; i--) {
      expect(await bridge.getAccessToken({ appid: `wx${i}`, platform: 'weixin-mp' })).toEqual({ access_token: `T${i}` })
      expect(bridge.resolve('access_token', { appid: `wx${i}`, platform: 'weixin-mp' }).key.storageKey).toBe(
        `uni-id:weixin-mp:wx${i}:access-token`,
      )
    }
    await bridge.close()
  })
})
