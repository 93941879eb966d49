/**
 * A bridge whose source is `combineSources(wechatSource(…), wecomSource(…))` (the server's when both WeChat and
 * WeCom are configured): the helpers that read the bridge's source find the WeChat part behind the combined one.
 */
import { combineSources, createBridge, memoryStore } from '@open-bridge/core'
import { describe, expect, it } from 'vitest'
import { componentTicketAge, onOpenPlatformEvent, WechatSource, wechatSource, wecomSource } from '../src/index.js'

describe('helpers over a combined source', () => {
  it('the Open Platform helpers find the wechatSource() behind combineSources; the combined source is no WechatSource', async () => {
    const wechat = wechatSource({
      openPlatform: { components: [{ componentAppid: 'wxcombined0000001', componentSecret: 'combined-secret-1a2b' }] },
    })
    const bridge = createBridge({ stores: [memoryStore()], source: combineSources(wechat, wecomSource()) })
    try {
      expect(await componentTicketAge(bridge, 'wxcombined0000001')).toBeNull()
      const off = onOpenPlatformEvent(bridge, () => {})
      expect(typeof off).toBe('function')
      off()
      expect(bridge.source instanceof WechatSource).toBe(false)
      expect(wechat instanceof WechatSource).toBe(true)
    } finally {
      await bridge.close()
    }
  })

  it('a combined source without a wechatSource(): the helpers still say the platform is not configured', async () => {
    const bridge = createBridge({ stores: [memoryStore()], source: combineSources(wecomSource()) })
    try {
      await expect(componentTicketAge(bridge, 'wxcombined0000001')).rejects.toMatchObject({
        code: 'E_OPEN_PLATFORM_NOT_CONFIGURED',
      })
    } finally {
      await bridge.close()
    }
  })
})
