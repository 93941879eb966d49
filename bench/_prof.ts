import { createBridge, memoryStore } from '@open-bridge/core'
const value = { access_token: 'ACCESS_TOKEN'.repeat(10) }
const bridge = createBridge({ stores: [memoryStore({ max: 10_000 })] })
await bridge.setAccessToken({ appid: 'wx0123456789abcdef', platform: 'weixin-mp' }, value, 3600)
const s = performance.now()
for (let i = 0; i < 20_000_000; i++) await bridge.getAccessToken({ appid: 'wx0123456789abcdef', platform: 'weixin-mp' })
console.log((performance.now() - s) / 20_000)
