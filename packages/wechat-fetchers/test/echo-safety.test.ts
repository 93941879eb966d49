import { createBridge, memoryStore } from '@open-bridge/core'
import { isWechatError, wechatSource } from '@open-bridge/wechat-fetchers'
import { describe, expect, it } from 'vitest'

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_OUT = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/

describe("an appid as a client sent it is echoed quoted and escaped (core's quoteValue)", () => {
  it('E_APP_NOT_CONFIGURED for an appid with a right-to-left override, a NUL and a line break', async () => {
    const bridge = createBridge({ stores: [memoryStore()], source: wechatSource({ baseUrl: 'http://127.0.0.1:1' }) })
    try {
      await bridge.getAccessToken({ appid: 'wx\u202Eevil\u0000\nX-Forged 1', platform: 'weixin-mp' })
      expect.unreachable()
    } catch (error) {
      expect(isWechatError(error, 'E_APP_NOT_CONFIGURED'), String(error)).toBe(true)
      const { message } = error as Error
      expect(message).toContain('appid "wx\\u202eevil\\u0000\\nX-Forged 1" on platform weixin-mp')
      expect(message).not.toMatch(UNSAFE_OUT)
    } finally {
      await bridge.close()
    }
  })
})
