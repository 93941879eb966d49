/**
 * The event route's own behaviour, on `buildApp` with hooks that stand in for the credential side (what these tests
 * are about is the route: WeChat's 5 s, retries on failure, any content type). The pushes are real: encrypted and
 * signed by the fake platform's push sender, over HTTP.
 */
import type { AddressInfo } from 'node:net'
import type { DecryptedPush } from '@open-bridge/wechat-fetchers'
import { pushSender } from '@open-bridge/wechat-fetchers/testing'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApp, type OpenPlatformHooks } from '../src/index.js'
import { LogLines, memoryBridge } from './http-support.js'

const COMPONENT = {
  componentAppid: 'wxc0mp0nentr0ute01',
  token: 'routeToken01',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const sender = pushSender({
  token: COMPONENT.token,
  encodingAESKey: COMPONENT.encodingAESKey,
  receiveId: COMPONENT.componentAppid,
})
const ticketXml = (ticket: string) =>
  `<xml><AppId><![CDATA[${COMPONENT.componentAppid}]]></AppId><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[${ticket}]]></ComponentVerifyTicket></xml>`

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

async function serve(apply: OpenPlatformHooks['applyPush'], replyDeadlineMs?: number) {
  const logs = new LogLines()
  const applied: DecryptedPush[] = []
  app = buildApp({
    bridge: memoryBridge(),
    auth: {},
    logger: { level: 'info', stream: logs },
    openPlatform: {
      components: [COMPONENT],
      applyPush: (componentAppid, push) => {
        applied.push(push)
        return apply(componentAppid, push)
      },
      authorizationPageUrl: async () => 'https://mp.weixin.qq.com/',
      exchangeAuthorizationCode: async () => ({ authorizerAppid: 'wxacc0unt00000001a' }),
      ...(replyDeadlineMs !== undefined ? { replyDeadlineMs } : {}),
    },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/open-platform/${COMPONENT.componentAppid}/events`
  return { url, logs, applied }
}

describe('the event route', () => {
  it('a push still being applied at the deadline is answered success (WeChat gives up at 5 s); the work finishes', async () => {
    let finish!: () => void
    const { url, logs, applied } = await serve(
      () =>
        new Promise(
          (resolve) => (finish = () => resolve({ infoType: 'component_verify_ticket', action: 'ticket-stored' })),
        ),
      300,
    )
    const sent = await sender.send(url, ticketXml('ticket@@@slow-0001'))
    expect(sent.reply).toMatchObject({ status: 200, text: 'success' })
    expect(applied).toHaveLength(1)
    expect(logs.lines.join('\n')).toContain('still applying at the deadline')
    finish()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(logs.lines.join('\n')).toContain('open platform push applied')
  })

  it('a push that could not be applied is answered 5xx so WeChat pushes it again — and the retry is applied', async () => {
    let fail = true
    const { url, applied } = await serve(async () => {
      if (fail) throw Object.assign(new Error('tier down'), { code: 'E_STORE_UNAVAILABLE' })
      return { infoType: 'component_verify_ticket', action: 'ticket-stored' }
    })
    const sent = await sender.send(url, ticketXml('ticket@@@retry-0001'))
    expect(sent.reply.status).toBe(503)
    fail = false
    // The same request again (WeChat's retry): not taken for a repeat, applied this time.
    expect(await sent.resend()).toMatchObject({ status: 200, text: 'success' })
    expect(applied).toHaveLength(2)
    // A third time: a repeat of one applied, answered without applying.
    expect(await sent.resend()).toMatchObject({ status: 200, text: 'success' })
    expect(applied).toHaveLength(2)
  })

  it('takes the push whatever its content type (or none); a GET is not an event', async () => {
    const { url, applied } = await serve(async () => ({ infoType: 'component_verify_ticket', action: 'ticket-stored' }))
    const sent = await sender.send(url, ticketXml('ticket@@@ctype-0001'))
    const query = new URL(sent.url).search
    const contentTypes: Array<Record<string, string>> = [
      { 'content-type': 'application/xml' },
      { 'content-type': 'application/json' },
      {},
    ]
    for (const headers of contentTypes) {
      const again = await fetch(`${url}${query}`, {
        method: 'POST',
        headers,
        body: sent.body.replace('<xml>', '<xml> '),
      })
      expect([200], JSON.stringify(headers)).toContain(again.status)
    }
    expect(applied.length).toBeGreaterThanOrEqual(1)
    expect((await fetch(url)).status).toBeGreaterThanOrEqual(404)
  })
})
