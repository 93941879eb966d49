// Receiving WeChat pushes (WXBizMsgCrypt) in a plain node:http handler, tested offline with the fake platform's
// push sender. The same handler serves WeCom (its GET URL check included).
// Run after `npm install`: node examples/receive-push.mjs
import { createServer } from 'node:http'
import { isWechatError, messageCrypto } from '@open-bridge/wechat-fetchers'
import { pushSender } from '@open-bridge/wechat-fetchers/testing'

// What the console shows for your third-party platform (here: test values).
const platform = {
  token: 'myPushToken2024',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  receiveId: 'wx1234567890abcdef', // the component appid: checked inside every message
}
const crypto = messageCrypto(platform)
const LIMIT = 256 * 1024 // decryptPush's default maxBodyBytes
const handled = new Set() // push ids seen (keep each 2 × 300 s: the timestamp tolerance, both ways)
let ticket

const server = createServer((req, res) => {
  const chunks = []
  let size = 0
  req.on('data', (chunk) => {
    if (size <= LIMIT) chunks.push(chunk) // never more than LIMIT + one chunk in memory
    size += chunk.length
  })
  req.on('end', () => {
    const query = new URL(req.url, 'http://localhost').searchParams
    try {
      if (req.method === 'GET') return void res.end(crypto.verifyUrl(query)) // WeCom's URL check: echo as is
      const push = crypto.decryptPush(query, Buffer.concat(chunks))
      if (!handled.has(push.id)) {
        handled.add(push.id) // WeChat's retry of an unanswered push, or a replay: same id, handled once
        if (push.fields.InfoType === 'component_verify_ticket') ticket = push.fields.ComponentVerifyTicket
      }
      res.end('success') // within 5 s, or WeChat retries
    } catch (error) {
      if (!isWechatError(error)) throw error
      res.statusCode = error.code === 'E_PUSH_SIGNATURE' ? 401 : error.code === 'E_PUSH_TOO_LARGE' ? 413 : 400
      res.end()
      console.log('refused:', error.code) // log the code, never the body
    }
  })
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}/open-platform/${platform.receiveId}/events`

// The fake platform: encrypts, signs and POSTs as WeChat does.
const wechat = pushSender(platform)
const sent = await wechat.send(
  url,
  `<xml><AppId><![CDATA[${platform.receiveId}]]></AppId><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime>` +
    '<InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[ticket@@@demo]]></ComponentVerifyTicket></xml>',
)
console.log('reply:', sent.reply.text, '- ticket stored:', ticket === 'ticket@@@demo')
console.log('the same push again:', (await sent.resend()).text, '- handled once:', handled.size === 1)
const forger = pushSender({ ...platform, token: 'notTheToken' })
console.log('a forged push is answered', (await forger.send(url, '<xml/>')).reply.status)
server.close()
