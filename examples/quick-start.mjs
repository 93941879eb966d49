// The root README's quick start: one process, a memory tier, a fallback that runs once for many callers.
// Run after `npm install`: node examples/quick-start.mjs
import { BridgeError, createBridge, memoryStore } from '@open-bridge/core'

const bridge = createBridge({
  stores: [memoryStore({ max: 10_000 })],
  apps: [{ dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx123', secret: 'not-a-real-secret' }],
})

// Store and read, naming the app either way.
await bridge.setAccessToken({ dcloudAppid: '__UNI__A', platform: 'weixin-mp' }, { access_token: 't' }, 7200)
// Credentials never go to logs: print facts about them, not them.
const readBack = (await bridge.getAccessToken({ appid: 'wx123', platform: 'weixin-mp' }))?.access_token === 't'
console.log('read back what was set:', readBack)

// Fifty concurrent misses share one fallback call.
let calls = 0
const fallback = async () => {
  calls++
  await new Promise((resolve) => setTimeout(resolve, 50))
  return { value: { ticket: 'jsapi-ticket' }, duration: 7200 }
}
const key = { appid: 'wxh5', platform: 'weixin-h5' }
const tickets = await Promise.all(Array.from({ length: 50 }, () => bridge.getTicket(key, fallback)))
console.log(
  `50 callers, ${calls} fallback call, all got the same ticket:`,
  tickets.every((t) => t?.ticket === 'jsapi-ticket'),
)

// Bad input is a BridgeError with a stable code and the field at fault.
try {
  await bridge.getSessionKey({ appid: 'wx123', platform: 'weixin-mp', openid: '' })
} catch (error) {
  if (error instanceof BridgeError) console.log('refused:', error.code, error.field)
}

await bridge.close()
