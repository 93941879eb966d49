import { createBridge, memoryStore } from '@open-bridge/core'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { describe, expect, it } from 'vitest'
import { createServiceMetrics } from '../src/metrics/service-metrics.js'

const mp = { appid: 'wxcat0000000000001', secret: 'CAT-mp-secret-2b3c4d' }
const h5 = { appid: 'wxcat0000000000002', secret: 'CAT-h5-secret-5e6f7a' }

describe('open_bridge_upstream_errors_total: failed fetches by category (what the alert rules page on)', () => {
  it('config, ip-confirm, quota and transient failures each count under their category', async () => {
    const fake = await startFakeWeChat({ apps: [mp, h5], quotas: { token: 0 } })
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [
        { platform: 'weixin-mp', ...mp },
        { platform: 'weixin-h5', ...h5 },
        { platform: 'weixin-app', appid: 'wxcat-no-secret' },
      ],
      source: wechatSource({ baseUrl: fake.url, retry: { retries: 0 } }),
      failureBackoff: { min: 1, max: 1, configuration: 1 },
    })
    const metrics = createServiceMetrics({
      bridge,
      stores: [],
      credentials: [{ platform: 'weixin-mp', appid: mp.appid, kind: 'access_token' }],
      processMetrics: false,
    })
    // The configured credential's series exist at 0 before anything failed: an alert sees the first failure.
    const before = (await metrics.hooks.render()).body
    for (const category of ['config', 'ip-whitelist', 'ip-confirm', 'quota', 'transient'])
      expect(before).toContain(
        `open_bridge_upstream_errors_total{platform="weixin-mp",kind="access_token",category="${category}"} 0`,
      )
    const fail = (key: { appid: string; platform: 'weixin-mp' | 'weixin-h5' | 'weixin-app' }) =>
      bridge.getAccessToken(key).catch(() => undefined)
    const pause = () => new Promise((resolve) => setTimeout(resolve, 20))
    try {
      await fail({ appid: h5.appid, platform: 'weixin-h5' }) // 45009: quota
      fake.refuseIp(89503, { endpoints: ['stable_token'] })
      await fail({ appid: mp.appid, platform: 'weixin-mp' }) // ip-confirm
      await pause()
      fake.refuseIp(40164, { endpoints: ['stable_token'] })
      await fail({ appid: mp.appid, platform: 'weixin-mp' }) // config (IP whitelist)
      fake.allowIp()
      await pause()
      fake.inject('stable_token', { status: 503 })
      await fail({ appid: mp.appid, platform: 'weixin-mp' }) // transient
      await fail({ appid: 'wxcat-no-secret', platform: 'weixin-app' }) // E_APP_NOT_CONFIGURED: config
      const { body } = await metrics.hooks.render()
      const line = (labels: string) =>
        Number(new RegExp(`^open_bridge_upstream_errors_total\\{${labels}\\} (\\d+)$`, 'm').exec(body)?.[1])
      expect(line('platform="weixin-h5",kind="access_token",category="quota"')).toBe(1)
      expect(line('platform="weixin-mp",kind="access_token",category="ip-confirm"')).toBe(1)
      // A refused IP (40164) is a config error to wechat-fetchers; it is counted as an IP problem here.
      expect(line('platform="weixin-mp",kind="access_token",category="ip-whitelist"')).toBe(1)
      expect(line('platform="weixin-mp",kind="access_token",category="config"')).toBe(0)
      expect(line('platform="weixin-mp",kind="access_token",category="transient"')).toBe(1)
      expect(line('platform="weixin-app",kind="access_token",category="config"')).toBe(1)
      // The errcode counter keeps its labels: the IP alerts read the errcode there.
      expect(body).toMatch(
        /^open_bridge_upstream_errcodes_total\{platform="weixin-mp",kind="access_token",errcode="40164"\} 1$/m,
      )
    } finally {
      metrics.close()
      await bridge.close()
      await fake.close()
    }
  })
})
