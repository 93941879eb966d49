/**
 * `npm run bench -- wecom`: (1) a WeCom corp-token memory hit against a WeChat access-token memory hit in the same
 * run (target ≤ 1.1×); (2) `agentConfigSignature` (a ticket memory hit, a fresh nonce, the sha1) against a bare sha1
 * of the same string, in signatures per second on one core.
 */
import { createHash } from 'node:crypto'
import { createBridge, memoryStore } from '@open-bridge/core'
import { agentConfigSignature, wecomAgentTicket, wecomCorpToken } from '@open-bridge/wechat-fetchers'
import { compare } from './measure.js'

export async function run(): Promise<void> {
  const APPID = 'wx0123456789abcdef'
  const value = { access_token: 'ACCESS_TOKEN'.repeat(10) }
  const bridge = createBridge({
    stores: [memoryStore({ max: 10_000 })],
    apps: [{ platform: 'weixin-mp', appid: APPID, secret: 'unused' }],
  })
  await bridge.setAccessToken({ appid: APPID, platform: 'weixin-mp' }, value, 3600)
  const app = { corpId: 'ww0123456789abcdef', agentId: '1000002' }
  const corpToken = bridge.credential(wecomCorpToken)
  await corpToken.set(app, value, 3600)

  await compare(
    'memory hit: WeCom corp token vs WeChat access_token (1,000,000 awaited calls per round, median of 9)',
    [
      {
        name: 'bridge.getAccessToken({ appid, platform })',
        run: () => bridge.getAccessToken({ appid: APPID, platform: 'weixin-mp' }),
      },
      { name: 'credential(wecomCorpToken).get({ corpId, agentId })', run: () => corpToken.get(app) },
    ],
    { iterations: 1_000_000, baselines: ['bridge.getAccessToken({ appid, platform })'] },
  )

  const ticket = 'kgt8ON7yVITDhtdwci0qeUf3ux6iUN3bPzUkNEyNCjo4cZ3_fNCRy6W5r-WgQfiO3WnfqKhbSIbEHUCzrGdIFA'
  await bridge.credential(wecomAgentTicket).set(app, { ticket }, 7200)
  const url = 'https://intranet.example.com/app/page?id=42'
  const timestamp = 1_700_000_000
  const nonceStr = 'Wm3WZYTPz0wzccnW'
  const text = `jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`
  await compare(
    'JS-SDK signing: agentConfigSignature vs a bare sha1 of the same string (200,000 awaited calls per round)',
    [
      { name: 'bare sha1 (createHash)', run: () => createHash('sha1').update(text).digest('hex') },
      {
        name: 'agentConfigSignature (fixed nonce)',
        run: () => agentConfigSignature(bridge, app, { url, timestamp, nonceStr }),
      },
      { name: 'agentConfigSignature (fresh nonce, now)', run: () => agentConfigSignature(bridge, app, { url }) },
    ],
    { iterations: 200_000, baselines: ['bare sha1 (createHash)'] },
  )
  await bridge.close()
}
