/**
 * WeCom self-built apps against the fake WeCom over HTTP: the corp app token (one per corp and app, its secret from
 * configuration only), the corp and agent JS-SDK tickets under WeCom's hourly limits, the signatures, compare-and-
 * refresh on WeCom's token errcodes, the errcode categories, and WeCom's published callback sample.
 */
import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import { createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import {
  agentConfigSignature,
  categoryOf,
  isWechatError,
  messageCrypto,
  wecomAgentTicket,
  wecomCorpToken,
  wecomJsapiSignature,
  wecomJsapiTicket,
  wecomSource,
  WecomSource,
  withCorpToken,
  type WecomSourceOptions,
} from '@open-bridge/wechat-fetchers'
import { startFakeWecom, type FakeWecom, type FakeWecomOptions } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { WECOM } from './push-vectors.js'

const CORP = 'ww1234567890abcdef'
const SECRET_A = 'wecom-secret-A-7f3e9a1c5b2d4e6f8091'
const SECRET_B = 'wecom-secret-B-0a1b2c3d4e5f60718293'
const app = { corpId: CORP, agentId: '1000002' }
const appB = { corpId: CORP, agentId: '1000003' }
const corps = [
  {
    corpId: CORP,
    agents: [
      { agentId: 1000002, secret: SECRET_A },
      { agentId: '1000003', secret: SECRET_B },
    ],
  },
]

interface World {
  fake: FakeWecom
  bridge: CredentialBridge
  memory: ReturnType<typeof memoryStore>
}
let worlds: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(worlds.map((world) => world.close()))
  worlds = []
})

async function world(
  fakeOptions: FakeWecomOptions = {},
  sourceOptions: Partial<WecomSourceOptions> = {},
): Promise<World> {
  const fake = await startFakeWecom({ corps, ...fakeOptions })
  const memory = memoryStore()
  const bridge = createBridge({
    stores: [memory],
    source: wecomSource({ corps, baseUrl: fake.url, retry: { retries: 0 }, ...sourceOptions }),
  })
  worlds.push({
    async close() {
      await bridge.close()
      await fake.close()
    },
  })
  return { fake, bridge, memory }
}

const business = (fake: FakeWecom) => async (token: string) => {
  const reply = (await (await fetch(`${fake.url}/cgi-bin/fake/business?access_token=${token}`)).json()) as {
    errcode: number
    errmsg: string
  }
  if (reply.errcode !== 0) {
    throw Object.assign(new Error(reply.errmsg), { code: 'E_PLATFORM_API', errcode: reply.errcode })
  }
  return token
}

describe('corp app token', () => {
  it('one gettoken per corp and app, cached; the storage key names corp and agent, never the secret', async () => {
    const { fake, bridge, memory } = await world()
    const handle = bridge.credential(wecomCorpToken)
    const [a1, a2, b] = await Promise.all([handle.get(app), handle.get(app), handle.get(appB)])
    expect(a1!.access_token).toMatch(/^AT_/)
    expect(a2).toEqual(a1)
    expect(b!.access_token).not.toBe(a1!.access_token)
    expect(await handle.get(app)).toEqual(a1)
    expect(fake.calls('gettoken')).toBe(2)
    expect(await memory.get(`wecom:${CORP}:1000002:corp-token`)).toMatchObject({ value: a1 })
    const keys = await collectKeys(memory)
    expect(keys.sort()).toEqual([`wecom:${CORP}:1000002:corp-token`, `wecom:${CORP}:1000003:corp-token`])
    for (const key of keys) {
      expect(key).not.toContain(SECRET_A)
      expect(key).not.toContain(SECRET_B)
    }
  })

  it('an app with no secret configured (and no suite) resolves null; withCorpToken says E_APP_NOT_CONFIGURED', async () => {
    const { fake, bridge } = await world()
    expect(await bridge.credential(wecomCorpToken).get({ corpId: CORP, agentId: '999' })).toBeNull()
    const error = await withCorpToken(bridge, { corpId: CORP, agentId: '999' }, async () => 'never').catch(
      (e: unknown) => e,
    )
    expect(isWechatError(error, 'E_APP_NOT_CONFIGURED')).toBe(true)
    expect(fake.calls('gettoken')).toBe(0)
  })

  it('a wrong secret: PlatformApiError 40001 (config), the secret masked in message, url and JSON', async () => {
    const fake = await startFakeWecom({ corps })
    const bridge = createBridge({
      stores: [memoryStore()],
      source: wecomSource({
        corps: [{ corpId: CORP, agents: [{ agentId: 1000002, secret: 'wrong-secret-0123456789abcdef' }] }],
        baseUrl: fake.url,
        retry: { retries: 0 },
      }),
    })
    worlds.push({
      async close() {
        await bridge.close()
        await fake.close()
      },
    })
    const error = await bridge
      .credential(wecomCorpToken)
      .get(app)
      .catch((e: unknown) => e)
    const text = `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 5 })}`
    expect(text).toContain('40001')
    expect(text).not.toContain('wrong-secret-0123456789abcdef')
  })

  it.each([40014, 41001, 42001])(
    'withCorpToken: a token WeCom rejects with %i is refreshed once (compare-and-refresh), the call retried',
    async (errcode) => {
      const { fake, bridge } = await world()
      const first = (await bridge.credential(wecomCorpToken).get(app))!.access_token
      fake.inject('business', { errcode, errmsg: 'token rejected' })
      const used = await withCorpToken(bridge, app, business(fake))
      expect(used).not.toBe(first)
      expect(fake.calls('gettoken')).toBe(2)
      // Reporting the replaced token again reads the new one back: no third gettoken.
      expect((await bridge.credential(wecomCorpToken).refresh(app, { ifValue: first }))!.access_token).toBe(used)
      expect(fake.calls('gettoken')).toBe(2)
    },
  )

  it('withCorpToken: 100 callers that all hit the same dead token cause one gettoken', async () => {
    const { fake, bridge } = await world()
    const dead = (await bridge.credential(wecomCorpToken).get(app))!.access_token
    expect(fake.revokeToken(dead)).toBe(true)
    const used = await Promise.all(Array.from({ length: 100 }, () => withCorpToken(bridge, app, business(fake))))
    expect(new Set(used).size).toBe(1)
    expect(fake.calls('gettoken')).toBe(2)
  })

  it('any other errcode is not a rejection: no refresh', async () => {
    const { fake, bridge } = await world()
    await bridge.credential(wecomCorpToken).get(app)
    fake.inject('business', { errcode: 60011, errmsg: 'no privilege' })
    await expect(withCorpToken(bridge, app, business(fake))).rejects.toMatchObject({ errcode: 60011 })
    expect(fake.calls('gettoken')).toBe(1)
  })

  it('60020 (IP not trusted): a config error with the IP diagnosis pointing at the app’s trusted IPs', async () => {
    const { fake, bridge } = await world()
    fake.inject('gettoken', { errcode: 60020, errmsg: 'not allow to access from your ip, from ip: 203.0.113.7' })
    const error = (await bridge
      .credential(wecomCorpToken)
      .get(app)
      .catch((e: unknown) => e)) as {
      errcode: number
      category: string
      ipDiagnosis: { ip: string; whitelist: string }
    }
    expect(error).toMatchObject({ errcode: 60020, category: 'config' })
    expect(error.ipDiagnosis).toMatchObject({ ip: '203.0.113.7', whitelist: 'wecom' })
    expect(String(error)).not.toContain(SECRET_A)
  })
})

describe('errcode categories', () => {
  it('WeCom’s suite and permanent-code codes', () => {
    expect(categoryOf(42009)).toBe('token-invalid')
    expect(categoryOf(40082)).toBe('token-invalid')
    expect(categoryOf(40085)).toBe('config')
    expect(categoryOf(40084)).toBe('config')
    expect(categoryOf(60020)).toBe('config')
    // On a token endpoint a "token invalid" code is a configuration error (refreshing would loop).
    expect(categoryOf(42009, true)).toBe('config')
  })
})

describe('wecomSource options', () => {
  it.each([
    [{ corps: 'x' }, 'corps'],
    [{ corps: [{ corpId: 'a:b', agents: [] }] }, 'corps[0].corpId'],
    [{ corps: [{ corpId: 'ww1', agents: [{ agentId: 1, secret: '' }] }] }, 'corps[0].agents[0].secret'],
    [{ corps: [{ corpId: 'ww1', agents: [{ agentId: 1.5, secret: 's' }] }] }, 'corps[0].agents[0].agentId'],
    [
      {
        corps: [
          {
            corpId: 'ww1',
            agents: [
              { agentId: 1, secret: 's' },
              { agentId: '1', secret: 't' },
            ],
          },
        ],
      },
      'corps[0].agents[1].agentId',
    ],
    [{ suites: [{ suiteId: 'ww1', suiteSecret: 42 }] }, 'suites[0].suiteSecret'],
    [{ provider: { corpId: 'ww1' } }, 'provider.providerSecret'],
    [{ baseUrl: 7 }, 'baseUrl'],
    [{ appSecret: 'x' }, 'appSecret'],
  ])('%j → E_INVALID_ARGUMENT naming %s', (options, field) => {
    const error = (() => {
      try {
        wecomSource(options as never)
      } catch (e) {
        return e
      }
    })()
    expect(isWechatError(error, 'E_INVALID_ARGUMENT')).toBe(true)
    expect(error).toMatchObject({ field })
  })

  it('never quotes a secret: not in an error, not in inspect or JSON of the source', () => {
    const secret = 'a-secret-that-must-not-leak-0123456789'
    const source = wecomSource({ corps: [{ corpId: CORP, agents: [{ agentId: 1, secret }] }] })
    expect(source).toBeInstanceOf(WecomSource)
    expect(inspect(source, { depth: 10, showHidden: true })).not.toContain(secret)
    expect(JSON.stringify(source)).not.toContain(secret)
    try {
      wecomSource({ corps: [{ corpId: CORP, agents: [{ agentId: secret, secret: '' }] }] } as never)
    } catch (error) {
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(secret)
    }
    return source.close()
  })
})

describe('JS-SDK signatures', () => {
  /** The worked example of WeCom's "JS-SDK使用权限签名算法" page (developer.work.weixin.qq.com/document/path/90506). */
  const EXAMPLE = {
    ticket: 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
    nonceStr: 'Wm3WZYTPz0wzccnW',
    timestamp: 1414587457,
    url: 'http://mp.weixin.qq.com?params=value',
    signature: '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
  }

  it('wecomJsapiSignature reproduces WeCom’s worked example; the fragment is stripped', async () => {
    const { fake, bridge } = await world()
    await bridge.credential(wecomJsapiTicket).set(app, { ticket: EXAMPLE.ticket }, 7200)
    const signed = await wecomJsapiSignature(bridge, app, {
      url: `${EXAMPLE.url}#/deep/link`,
      nonceStr: EXAMPLE.nonceStr,
      timestamp: EXAMPLE.timestamp,
    })
    expect(signed).toEqual({
      appId: CORP,
      timestamp: EXAMPLE.timestamp,
      nonceStr: EXAMPLE.nonceStr,
      signature: EXAMPLE.signature,
    })
    expect(fake.calls('get_jsapi_ticket')).toBe(0)
  })

  it('agentConfigSignature: the same algorithm over the agent ticket (checked against an independent sha1)', async () => {
    const { bridge } = await world()
    await bridge.credential(wecomAgentTicket).set(app, { ticket: 'AGENT-TICKET-1' }, 7200)
    const signed = await agentConfigSignature(bridge, app, {
      url: 'https://example.com/page?a=1&b=2#hash',
      nonceStr: 'n0nce',
      timestamp: 1700000000,
    })
    const expected = createHash('sha1')
      .update('jsapi_ticket=AGENT-TICKET-1&noncestr=n0nce&timestamp=1700000000&url=https://example.com/page?a=1&b=2')
      .digest('hex')
    expect(signed).toEqual({
      corpid: CORP,
      agentid: '1000002',
      timestamp: 1700000000,
      nonceStr: 'n0nce',
      signature: expected,
    })
  })

  it('fresh nonce and timestamp by default; a bad url is E_INVALID_ARGUMENT; no ticket is E_TICKET_MISSING', async () => {
    const { bridge } = await world()
    const one = await wecomJsapiSignature(bridge, app, { url: 'https://example.com/' })
    const two = await wecomJsapiSignature(bridge, app, { url: 'https://example.com/' })
    expect(one.nonceStr).not.toBe(two.nonceStr)
    // Nonces come from a pool of CSPRNG bytes: 16 base64url characters, never repeated (past a pool refill too).
    await bridge.credential(wecomAgentTicket).set(app, { ticket: 'T' }, 7200)
    const nonces = await Promise.all(
      Array.from(
        { length: 600 },
        async () => (await agentConfigSignature(bridge, app, { url: 'https://e.com/' })).nonceStr,
      ),
    )
    expect(new Set(nonces).size).toBe(600)
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(Math.abs(one.timestamp - Date.now() / 1000)).toBeLessThan(600)
    await expect(agentConfigSignature(bridge, app, { url: 'example.com' })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'url',
    })
    // An app the source cannot serve says so; a bridge with nothing to fetch from says the ticket is missing.
    await expect(
      wecomJsapiSignature(bridge, { corpId: CORP, agentId: '999' }, { url: 'https://example.com/' }),
    ).rejects.toMatchObject({ code: 'E_APP_NOT_CONFIGURED' })
    const bare = createBridge({ stores: [memoryStore()] })
    await expect(agentConfigSignature(bare, app, { url: 'https://example.com/' })).rejects.toMatchObject({
      code: 'E_TICKET_MISSING',
    })
    await bare.close()
  })
})

describe('tickets under WeCom’s hourly limits', () => {
  it('the fake enforces 100 an hour per app and 400 per corp (45009 past them), per endpoint', async () => {
    const agents = Array.from({ length: 5 }, (_, i) => ({ agentId: 2000 + i, secret: `secret-${i}-abcdefghijklmnop` }))
    const fake = await startFakeWecom({ corps: [{ corpId: CORP, agents }] })
    worlds.push(fake)
    const get = async (path: string) => (await (await fetch(`${fake.url}${path}`)).json()) as Record<string, unknown>
    const tokens: string[] = []
    for (const agent of agents) {
      tokens.push(String((await get(`/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${agent.secret}`)).access_token))
    }
    const ticket = (token: string) => get(`/cgi-bin/get_jsapi_ticket?access_token=${token}`)
    for (let i = 0; i < 100; i++) expect((await ticket(tokens[0]!)).errcode).toBe(0)
    expect(await ticket(tokens[0]!)).toMatchObject({ errcode: 45009 })
    // The agent ticket endpoint counts on its own.
    expect((await get(`/cgi-bin/ticket/get?access_token=${tokens[0]}&type=agent_config`)).errcode).toBe(0)
    for (const token of tokens.slice(1, 4)) for (let i = 0; i < 100; i++) expect((await ticket(token)).errcode).toBe(0)
    // 400 for the corp: the fifth app, though under its own 100, is refused.
    expect(await ticket(tokens[4]!)).toMatchObject({ errcode: 45009 })
    expect(fake.ticketCallsInLastHour('get_jsapi_ticket', CORP)).toBe(400)
    expect(fake.ticketCallsInLastHour('get_jsapi_ticket', CORP, 2000)).toBe(100)
    expect(fake.refusedTicketCalls()).toBe(2)
  })

  it('soak: ~1,000 signatures a second for 7 s over 70-second tickets → one fetch per rotation, far under the limits', async () => {
    // Stored life 63 s (the source's margin), refreshed 60 s ahead of its end: a rotation about every 3 s.
    const { fake, bridge } = await world({ ticketLifetimeSeconds: 70 })
    const started = Date.now()
    let signatures = 0
    const signaturesSeen = new Set<string>()
    while (Date.now() - started < 7_000) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0
            ? wecomJsapiSignature(bridge, app, { url: `https://example.com/page/${signatures + i}` })
            : agentConfigSignature(bridge, app, { url: `https://example.com/page/${signatures + i}` }),
        ),
      )
      for (const signed of batch) signaturesSeen.add(signed.signature)
      signatures += batch.length
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const elapsed = Date.now() - started
    // Let a background refresh that started last settle before counting.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const corpTickets = fake.calls('get_jsapi_ticket')
    const agentTickets = fake.calls('ticket/get')
    console.log(
      `wecom ticket soak ${JSON.stringify({ signatures, elapsed, corpTickets, agentTickets, gettoken: fake.calls('gettoken') })}`,
    )
    expect(signatures).toBeGreaterThan(1_000)
    expect(signaturesSeen.size).toBe(signatures)
    // At most one fetch per ~3-second rotation (plus the first), at least one rotation: never one per signature.
    const rotations = Math.ceil(elapsed / 3_000) + 1
    for (const fetched of [corpTickets, agentTickets]) {
      expect(fetched).toBeGreaterThanOrEqual(2)
      expect(fetched).toBeLessThanOrEqual(rotations)
    }
    expect(fake.ticketCallsInLastHour('get_jsapi_ticket', CORP, '1000002')).toBeLessThan(100)
    expect(fake.refusedTicketCalls()).toBe(0)
    expect(fake.calls('gettoken')).toBe(1)
  })

  it('a ticket fetch whose token WeCom rejects refreshes the token once, then gets the ticket', async () => {
    const { fake, bridge } = await world()
    const token = (await bridge.credential(wecomCorpToken).get(app))!.access_token
    fake.revokeToken(token)
    expect((await bridge.credential(wecomAgentTicket).get(app))!.ticket).toMatch(/^AGENT_TICKET_/)
    expect(fake.calls('gettoken')).toBe(2)
    expect(fake.calls('ticket/get')).toBe(2)
  })
})

describe('WeCom’s published callback sample (Token QDG6eK)', () => {
  it('receive id = the corp id: the URL check echoes, the message (30-byte pad) decrypts; another receive id is refused', () => {
    const crypto = messageCrypto({
      token: WECOM.token,
      encodingAESKey: WECOM.encodingAESKey,
      receiveId: WECOM.receiveId,
      timestampToleranceSeconds: false,
    })
    expect(crypto.verifyUrl(new URLSearchParams(WECOM.urlCheck.query))).toBe(WECOM.urlCheck.echo)
    const body = `<xml><ToUserName><![CDATA[${WECOM.receiveId}]]></ToUserName><Encrypt><![CDATA[${WECOM.message.encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`
    const push = crypto.decryptPush(new URLSearchParams(WECOM.message.query), body)
    expect(push.message).toBe(WECOM.message.message)
    expect(push.fields.Content).toBe('hello')
    const suiteCrypto = messageCrypto({
      token: WECOM.token,
      encodingAESKey: WECOM.encodingAESKey,
      receiveId: 'ww-some-suite',
      timestampToleranceSeconds: false,
    })
    expect(() => suiteCrypto.decryptPush(new URLSearchParams(WECOM.message.query), body)).toThrow(
      expect.objectContaining({ code: 'E_PUSH_RECEIVE_ID' }),
    )
  })
})

async function collectKeys(store: ReturnType<typeof memoryStore>): Promise<string[]> {
  const keys: string[] = []
  for (const key of ['corp-token', 'jsapi-ticket', 'agent-ticket'].flatMap((suffix) =>
    ['1000002', '1000003', '999'].map((agent) => `wecom:${CORP}:${agent}:${suffix}`),
  )) {
    if ((await store.get(key)) !== undefined) keys.push(key)
  }
  return keys
}
