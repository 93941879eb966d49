import { inspect } from 'node:util'
import { createBridge, memoryStore } from '@open-bridge/core'
import { exchangeOAuthCode, wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { H5, h5Key } from './support.js'

let fake: FakeWeChat | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

describe("a wechatSource()'s internals", () => {
  it('are not properties a user sees: no client, no expiry margin, nothing in inspect', async () => {
    const source = wechatSource({ expiryMarginSeconds: 123 })
    try {
      expect('client' in source).toBe(false)
      expect('expiryMarginSeconds' in source).toBe(false)
      expect(Object.keys(source)).toEqual([])
      expect(inspect(source)).not.toMatch(/client|123/i)
    } finally {
      await source.close()
    }
  })

  it("reach the helpers: exchangeOAuthCode stores the token for the life the given source's margin gives", async () => {
    fake = await startFakeWeChat({ apps: [H5] })
    const store = memoryStore()
    const bridgeSource = wechatSource({ baseUrl: fake.url }) // default margin: 60 s
    const bridge = createBridge({ stores: [store], apps: [{ platform: 'weixin-h5', ...H5 }], source: bridgeSource })
    const helperSource = wechatSource({ baseUrl: fake.url, expiryMarginSeconds: 600 })
    try {
      const userKey = { ...h5Key, openid: 'o-margin' }
      const storageKey = bridge.resolve('user_access_token', userKey).key.storageKey
      // The fake's user token lives 7,200 s: 7,200 - min(margin, 720) is what a helper may store.
      const lifeLeft = async () => (((await store.get(storageKey))?.expiresAt ?? Number.NaN) - Date.now()) / 1000

      await exchangeOAuthCode(bridge, h5Key, fake.issueOAuthCode(H5.appid, { openid: 'o-margin' }))
      expect(await lifeLeft()).toBeGreaterThan(7_100) // 7,140 with the bridge source's 60 s

      await exchangeOAuthCode(bridge, h5Key, fake.issueOAuthCode(H5.appid, { openid: 'o-margin' }), {
        source: helperSource,
      })
      const life = await lifeLeft()
      expect(life).toBeLessThanOrEqual(6_600) // 600 s off, as the given source says
      expect(life).toBeGreaterThan(6_500)
    } finally {
      await helperSource.close()
      await bridge.close()
    }
  })
})
