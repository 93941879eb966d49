import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { isWechatError, messageCrypto, type DecryptedPush, type MessageCrypto } from '@open-bridge/wechat-fetchers'
import { pushSender } from '@open-bridge/wechat-fetchers/testing'
import { urlSignature } from '../src/push/message-signature.js'

const COMPONENT = {
  token: 'componentPushToken1',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  receiveId: 'wx1c0ffee0000000001',
}
const SUITE = { token: 'suiteToken2', encodingAESKey: 'Z'.repeat(43), receiveId: 'ww5u1te000000000001' }
const TICKET_XML = (ticket: string) =>
  `<xml><AppId><![CDATA[${COMPONENT.receiveId}]]></AppId><CreateTime>1700000000</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[${ticket}]]></ComponentVerifyTicket></xml>`

interface Received {
  method: string
  url: string
  body: string
  push?: DecryptedPush
  error?: string
}

/** A user's receiver on a plain node:http server: what the README shows, plus a log of what arrived. */
async function startReceiver(
  crypto: MessageCrypto,
  answer: (push: DecryptedPush, res: ServerResponse) => void = (_push, res) => res.end('success'),
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const entry: Received = { method: req.method ?? '', url: req.url ?? '', body }
      received.push(entry)
      const query = new URL(req.url ?? '/', 'http://receiver').searchParams
      try {
        if (req.method === 'GET') return void res.end(crypto.verifyUrl(query))
        entry.push = crypto.decryptPush(query, body)
        answer(entry.push, res)
      } catch (error) {
        if (!isWechatError(error)) throw error
        entry.error = error.code
        res.statusCode = error.code === 'E_PUSH_SIGNATURE' ? 401 : error.code === 'E_PUSH_TOO_LARGE' ? 413 : 400
        res.end(error.code)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, received, server }
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    ),
  )
})

describe('pushSender: the Open Platform authorisation event URL', () => {
  it('POSTs the ticket push as WeChat does: query, envelope, ciphertext; the receiver reads it and answers success', async () => {
    const receiver = await startReceiver(messageCrypto(COMPONENT))
    const sent = await pushSender(COMPONENT).send(receiver.url, TICKET_XML('ticket@@@first'), {
      timestamp: Math.floor(Date.now() / 1000),
      nonce: '1234567890',
    })
    expect(sent.reply).toEqual({ status: 200, text: 'success', success: true, message: undefined })
    const [arrived] = receiver.received
    expect(arrived!.error).toBeUndefined()
    expect(arrived!.push!.fields).toMatchObject({
      InfoType: 'component_verify_ticket',
      ComponentVerifyTicket: 'ticket@@@first',
    })
    expect({ ...arrived!.push!.envelope }).toEqual({ AppId: COMPONENT.receiveId })
    const query = new URL(arrived!.url, 'http://x').searchParams
    expect([...query.keys()].sort()).toEqual(['encrypt_type', 'msg_signature', 'nonce', 'signature', 'timestamp'])
    expect(query.get('encrypt_type')).toBe('aes')
    expect(query.get('nonce')).toBe('1234567890')
    expect(query.get('signature')).toBe(urlSignature(COMPONENT.token, query.get('timestamp')!, '1234567890'))
    expect(arrived!.body).toMatch(
      /^<xml><AppId><!\[CDATA\[wx1c0ffee0000000001\]\]><\/AppId><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><\/xml>$/,
    )
    expect(sent.body).toBe(arrived!.body)
    expect(arrived!.body).not.toContain('ticket@@@first')
  })

  it('resend() repeats the same bytes (a retry or a replay): the receiver sees the same push id', async () => {
    const receiver = await startReceiver(messageCrypto(COMPONENT))
    const sender = pushSender(COMPONENT)
    const sent = await sender.send(receiver.url, TICKET_XML('ticket@@@dup'))
    const again = await sent.resend()
    expect(again.success).toBe(true)
    const [first, second] = receiver.received
    expect(second!.url).toBe(first!.url)
    expect(second!.body).toBe(first!.body)
    expect(second!.push!.id).toBe(first!.push!.id)
    // The same message pushed anew (WeChat's duplicate pushes) is another push, with another id.
    await sender.send(receiver.url, TICKET_XML('ticket@@@dup'))
    expect(receiver.received[2]!.push!.id).not.toBe(first!.push!.id)
  })

  it('a receiver with another token refuses it (401), one with another receive id too (400): nothing is read', async () => {
    const wrongToken = await startReceiver(messageCrypto({ ...COMPONENT, token: 'anotherToken' }))
    const reply = (await pushSender(COMPONENT).send(wrongToken.url, TICKET_XML('t'))).reply
    expect(reply).toMatchObject({ status: 401, text: 'E_PUSH_SIGNATURE', success: false })
    const wrongReceiver = await startReceiver(messageCrypto({ ...COMPONENT, receiveId: 'wx0therc0mponent01' }))
    expect((await pushSender(COMPONENT).send(wrongReceiver.url, TICKET_XML('t'))).reply.text).toBe('E_PUSH_RECEIVE_ID')
    expect([...wrongToken.received, ...wrongReceiver.received].every((entry) => entry.push === undefined)).toBe(true)
  })

  it('an old timestamp reaches the receiver as a stale push', async () => {
    const receiver = await startReceiver(messageCrypto(COMPONENT))
    const sent = await pushSender(COMPONENT).send(receiver.url, TICKET_XML('t'), {
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    })
    expect(sent.reply.text).toBe('E_PUSH_STALE')
  })

  it('an encrypted passive reply is verified and decrypted as the platform would', async () => {
    const receiver = await startReceiver(messageCrypto(COMPONENT), (push, res) =>
      res.end(messageCrypto(COMPONENT).encryptReply(`<xml><Echo>${push.fields.InfoType}</Echo></xml>`)),
    )
    const { reply } = await pushSender(COMPONENT).send(receiver.url, TICKET_XML('t'))
    expect(reply.message).toBe('<xml><Echo>component_verify_ticket</Echo></xml>')
    expect(reply.success).toBe(false)
  })

  it('a passive reply signed with another token fails the send, as the platform would refuse it', async () => {
    const other = messageCrypto({ ...COMPONENT, token: 'notTheToken' })
    const receiver = await startReceiver(messageCrypto(COMPONENT), (_push, res) =>
      res.end(other.encryptReply('<xml/>')),
    )
    const error = await pushSender(COMPONENT)
      .send(receiver.url, TICKET_XML('t'))
      .catch((e: unknown) => e)
    expect(isWechatError(error, 'E_PUSH_SIGNATURE')).toBe(true)
  })

  it('a reply that is not an encrypted one is read as text: HTML, plain XML', async () => {
    for (const body of ['<html><body>error', '<xml><Content>plain</Content></xml>']) {
      const receiver = await startReceiver(messageCrypto(COMPONENT), (_push, res) => res.end(body))
      const { reply } = await pushSender(COMPONENT).send(receiver.url, TICKET_XML('t'))
      expect(reply).toEqual({ status: 200, text: body, success: false, message: undefined })
    }
  })

  it('a reply over 1 MiB is not read to the end: E_HTTP', async () => {
    const receiver = await startReceiver(messageCrypto(COMPONENT), (_push, res) => res.end('x'.repeat(1024 * 1024 + 1)))
    const error = await pushSender(COMPONENT)
      .send(receiver.url, TICKET_XML('t'))
      .catch((e: unknown) => e)
    expect(isWechatError(error, 'E_HTTP')).toBe(true)
  })

  it('a URL query already present is kept', async () => {
    const receiver = await startReceiver(messageCrypto(COMPONENT))
    await pushSender(COMPONENT).send(`${receiver.url}?tenant=a`, TICKET_XML('t'))
    expect(new URL(receiver.received[0]!.url, 'http://x').searchParams.get('tenant')).toBe('a')
    expect(receiver.received[0]!.push).toBeDefined()
  })
})

describe('pushSender: WeCom', () => {
  it("POSTs WeCom's envelope (ToUserName, Encrypt, AgentID) with WeCom's query", async () => {
    const receiver = await startReceiver(messageCrypto(SUITE))
    const sender = pushSender({ ...SUITE, format: 'wecom' })
    const sent = await sender.send(
      receiver.url,
      `<xml><SuiteId><![CDATA[${SUITE.receiveId}]]></SuiteId><InfoType><![CDATA[suite_ticket]]></InfoType><TimeStamp>1700000000</TimeStamp><SuiteTicket><![CDATA[suite-ticket-1]]></SuiteTicket></xml>`,
    )
    expect(sent.reply.success).toBe(true)
    const [arrived] = receiver.received
    expect(arrived!.push!.fields).toMatchObject({ InfoType: 'suite_ticket', SuiteTicket: 'suite-ticket-1' })
    expect({ ...arrived!.push!.envelope }).toEqual({ ToUserName: SUITE.receiveId, AgentID: '' })
    expect([...new URL(arrived!.url, 'http://x').searchParams.keys()].sort()).toEqual([
      'msg_signature',
      'nonce',
      'timestamp',
    ])
    const agent = pushSender({ ...SUITE, format: 'wecom', agentId: '1000002' })
    await agent.send(receiver.url, '<xml><MsgType>text</MsgType></xml>')
    expect(receiver.received[1]!.push!.envelope.AgentID).toBe('1000002')
  })

  it('verifyUrl: the GET echostr check; the receiver must answer the echo exactly', async () => {
    const receiver = await startReceiver(messageCrypto(SUITE))
    const sender = pushSender({ ...SUITE, format: 'wecom' })
    const check = await sender.verifyUrl(receiver.url)
    expect(check).toMatchObject({ status: 200, verified: true })
    expect(check.text).toBe(check.echo)
    const fixed = await sender.verifyUrl(receiver.url, { echo: '1616140317555161061', nonce: '263014780' })
    expect(fixed.text).toBe('1616140317555161061')
    const query = new URL(receiver.received[1]!.url, 'http://x').searchParams
    expect([...query.keys()].sort()).toEqual(['echostr', 'msg_signature', 'nonce', 'timestamp'])
    expect(query.get('echostr')).not.toContain('1616140317555161061')

    const quoting = createServer((req, res) => {
      const echo = messageCrypto(SUITE).verifyUrl(new URL(req.url ?? '/', 'http://x').searchParams)
      res.end(`"${echo}"\n`)
    })
    await new Promise<void>((resolve) => quoting.listen(0, '127.0.0.1', resolve))
    servers.push(quoting)
    const quoted = await sender.verifyUrl(`http://127.0.0.1:${(quoting.address() as AddressInfo).port}/`)
    expect(quoted.verified).toBe(false)
  })
})

describe('pushSender: transport and options', () => {
  it('a receiver that does not answer in time: E_TIMEOUT, as WeChat gives up after 5 s', async () => {
    const silent = createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    servers.push(silent)
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/events`
    const error = await pushSender({ ...COMPONENT, timeoutMs: 100 })
      .send(url, TICKET_XML('t'))
      .catch((e: unknown) => e)
    expect(isWechatError(error, 'E_TIMEOUT')).toBe(true)
    expect((error as Error).message).toContain('/events')
  })

  it('an unreachable receiver: E_HTTP; the push query never reaches the error', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/events`
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const error = await pushSender(COMPONENT)
      .send(url, TICKET_XML('t'))
      .catch((e: unknown) => e)
    expect(isWechatError(error, 'E_HTTP')).toBe(true)
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toMatch(/msg_signature|signature=|nonce=/)
  })

  it('bad options and arguments are typed errors naming them', async () => {
    const code = (run: () => unknown) => {
      try {
        run()
      } catch (error) {
        return [(error as { code?: string }).code, (error as { field?: string }).field]
      }
      return undefined
    }
    expect(code(() => pushSender({ ...COMPONENT, encodingAESKey: 'short' }))).toEqual([
      'E_INVALID_CONFIG',
      'encodingAESKey',
    ])
    expect(code(() => pushSender({ ...COMPONENT, format: 'mp' as 'wecom' }))).toEqual(['E_INVALID_ARGUMENT', 'format'])
    expect(code(() => pushSender({ ...COMPONENT, timeoutMs: 0 }))).toEqual(['E_INVALID_ARGUMENT', 'timeoutMs'])
    expect(code(() => pushSender({ ...COMPONENT, agentId: ']]>' }))).toEqual(['E_INVALID_ARGUMENT', 'agentId'])
    expect(code(() => pushSender({ ...COMPONENT, tokn: 'x' } as never))).toEqual(['E_INVALID_ARGUMENT', 'tokn'])
    const sender = pushSender(COMPONENT)
    for (const [run, field] of [
      [() => sender.send('ftp://x/', '<xml/>'), 'url'],
      [() => sender.send('not a url', '<xml/>'), 'url'],
      [() => sender.send('http://127.0.0.1:1/', 5 as unknown as string), 'message'],
      [() => sender.send('http://127.0.0.1:1/', '<xml/>', { nonce: 'a b' }), 'options.nonce'],
      [() => sender.send('http://127.0.0.1:1/', '<xml/>', { timestamp: -5 }), 'options.timestamp'],
      [() => sender.verifyUrl('http://127.0.0.1:1/', { echo: '' }), 'echo'],
    ] as const) {
      const error = await run().catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT', field })
    }
  })
})
