import { createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import { startFakeWeChat, type FakeWeChat, type FakeWeChatOptions } from '@open-bridge/wechat-fetchers/testing'
import { wechatSource, type WechatSource, type WechatSourceOptions } from '@open-bridge/wechat-fetchers'

export const MP = { appid: 'wxmp0000000000001', secret: 'mp-secret-5f2a9c0e7d1b4a3c' }
export const H5 = { appid: 'wxh50000000000001', secret: 'h5-secret-9b8c7d6e5f4a3b2c' }
export const QQ = { appid: '1110000001', secret: 'qq-secret-1a2b3c4d5e6f7a8b' }

export interface World {
  fake: FakeWeChat
  source: WechatSource
  bridge: CredentialBridge
  close(): Promise<void>
}

/** A fake WeChat, a source pointed at it (tiny retry delays) and a bridge with the three apps. */
export async function startWorld(
  options: { fake?: FakeWeChatOptions; source?: WechatSourceOptions } = {},
): Promise<World> {
  const fake = await startFakeWeChat({ apps: [MP, H5, QQ], ...options.fake })
  const source = wechatSource({
    baseUrl: fake.url,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    ...options.source,
  })
  const bridge = createBridge({
    stores: [memoryStore()],
    apps: [
      { dcloudAppid: '__UNI__APP', platform: 'weixin-mp', ...MP },
      { dcloudAppid: '__UNI__APP', platform: 'weixin-h5', ...H5 },
      { dcloudAppid: '__UNI__APP', platform: 'qq-mp', ...QQ },
    ],
    source,
  })
  return {
    fake,
    source,
    bridge,
    async close() {
      await bridge.close()
      await fake.close()
    },
  }
}

/** App-level keys of the two WeChat apps every world configures. */
export const mpKey = { appid: MP.appid, platform: 'weixin-mp' } as const
export const h5Key = { appid: H5.appid, platform: 'weixin-h5' } as const
