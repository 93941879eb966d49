/**
 * WeCom third-party suites against the fake WeCom over HTTP, on [memory, redis, sqlite] tiers with a real
 * redis-server (no persistence) and a real SQLite file: the suite's command callback URL (echo check, pushes), the
 * suite ticket (pushed, durable, never used past its 30 minutes), the suite token, the permanent code (durable,
 * never in a key, an error or an event), the authorised corp's token through get_corp_token, cancel_auth, reset,
 * and the provider token.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { combineSources, createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import {
  applySuiteEvent,
  messageCrypto,
  suiteCallback,
  wecomAuthorization,
  wecomCorpToken,
  wecomPermanentCode,
  wecomProviderToken,
  wecomSource,
  wecomSuiteTicket,
  wecomSuiteToken,
  wechatSource,
  WecomSource,
  type SuiteCallback,
} from '@open-bridge/wechat-fetchers'
import { startFakeWecom, type FakeWecom } from '@open-bridge/wechat-fetchers/testing'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import {
  caught as caughtBy,
  errorText,
  recordEvents,
  redisKeys as keysOf,
  serveSuiteCallback,
} from './fixtures/suite-callback-server.js'

const SUITE = 'wwsuite0000000001'
const SUITE_SECRET = 'suite-secret-3e4f5a6b7c8d9e0f1a2b'
const CALLBACK_TOKEN = 'SuiteCallbackToken1'
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const PROVIDER = { corpId: 'wwprovider000001', providerSecret: 'provider-secret-9a8b7c6d5e4f3a2b1c' }
const CORP = 'wwauthcorp000001'

let redis: RedisServer
let fake: FakeWecom
let dir: string
let opened: { close(): Promise<unknown> }[] = []
/** Every error a test saw and every event a bridge emitted, to look for secrets in. */
let seen: string[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ob-wecom-suite-'))
  seen = []
  fake = await startFakeWecom({
    suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET, token: CALLBACK_TOKEN, encodingAESKey: AES_KEY }],
    provider: PROVIDER,
  })
  opened.push(fake)
})
afterEach(async () => {
  for (const item of opened.reverse()) await item.close().catch(() => undefined)
  opened = []
  const raw = new Redis(redis.url)
  await raw.flushall()
  raw.disconnect()
  rmSync(dir, { recursive: true, force: true })
})

interface Deployment {
  bridge: CredentialBridge
  source: WecomSource
  callback: SuiteCallback
  url: string
}

/** A bridge on [memory, redis, sqlite] with the suite's command callback route on a real HTTP server. */
async function deployment(): Promise<Deployment> {
  const source = wecomSource({
    suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET }],
    provider: PROVIDER,
    baseUrl: fake.url,
    retry: { retries: 0 },
  })
  const bridge = createBridge({
    stores: [memoryStore(), redisStore({ url: redis.url }), sqliteStore({ path: join(dir, 'wecom.db') })],
    source,
  })
  recordEvents(bridge, seen)
  const callback = suiteCallback(bridge, { suiteId: SUITE, token: CALLBACK_TOKEN, encodingAESKey: AES_KEY })
  const server = await serveSuiteCallback(callback, { error: (error) => seen.push(errorText(error)) })
  const url = server.url
  fake.setCallbackUrl(SUITE, url)
  opened.push(server, bridge)
  return { bridge, source, callback, url }
}

const caught = (work: Promise<unknown>) => caughtBy<{ code?: string; message: string }>(work, seen)
const redisKeys = () => keysOf(redis.url)

describe('the command callback URL', () => {
  it('WeCom’s GET check is verified and echoed; a push with a bad signature is refused and stores nothing', async () => {
    const { bridge, url } = await deployment()
    expect(await fake.verifyCallbackUrl(SUITE)).toMatchObject({ status: 200, verified: true })
    const forged = await fetch(`${url}?msg_signature=${'0'.repeat(40)}&timestamp=1&nonce=1`, {
      method: 'POST',
      body: `<xml><ToUserName><![CDATA[${SUITE}]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>`,
    })
    expect(forged.status).toBe(400)
    expect((await caught(bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE }))).code).toBe('E_PUSHED_MISSING')
  })
})

describe('suite ticket and suite token', () => {
  it('a pushed ticket is stored durably; the suite token is fetched with it once', async () => {
    const { bridge } = await deployment()
    const { ticket, push } = await fake.pushSuiteTicket(SUITE)
    expect(push.reply.success).toBe(true)
    expect((await bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE }))!.suite_ticket).toBe(ticket)
    const token = await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE })
    expect(token!.suite_access_token).toMatch(/^SUITE_/)
    expect(await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE })).toEqual(token)
    expect(fake.calls('get_suite_token')).toBe(1)
  })

  it('a ticket pushed more than 30 minutes ago is never stored nor sent', async () => {
    const { bridge } = await deployment()
    const old = await fake.pushSuiteTicket(SUITE, { createTime: Math.floor(Date.now() / 1000) - 1801 })
    expect(old.push.reply.success).toBe(true)
    expect((await caught(bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))).code).toBe('E_PUSHED_MISSING')
    expect(fake.calls('get_suite_token')).toBe(0)
  })

  it('a ticket is stored with the life it has left: past its 30 minutes it is gone, never sent', async () => {
    const { bridge } = await deployment()
    // Pushed 29 min 58 s ago: 2 seconds left.
    await fake.pushSuiteTicket(SUITE, { createTime: Math.floor(Date.now() / 1000) - 1798 })
    expect(await bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE })).not.toBeNull()
    await new Promise((resolve) => setTimeout(resolve, 3_100))
    expect((await caught(bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))).code).toBe('E_PUSHED_MISSING')
    expect(fake.calls('get_suite_token')).toBe(0)
  })

  it('the newest push wins: an older one arriving late does not replace it', async () => {
    const { bridge } = await deployment()
    const now = Math.floor(Date.now() / 1000)
    const newer = await fake.pushSuiteTicket(SUITE, { createTime: now })
    await fake.pushSuiteTicket(SUITE, { createTime: now - 600 })
    expect((await bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE }))!.suite_ticket).toBe(newer.ticket)
  })
})

describe('authorised corps', () => {
  async function authorised() {
    const world = await deployment()
    await fake.pushSuiteTicket(SUITE)
    const sent = await fake.authorize(SUITE, CORP, { agentIds: [1000005, 1000006] })
    expect(sent.reply.success).toBe(true)
    return world
  }

  it('create_auth is exchanged at once: the permanent code is stored durably, the corp’s apps read like self-built ones', async () => {
    const { bridge } = await authorised()
    expect(fake.calls('get_permanent_code')).toBe(1)
    const code = fake.permanentCodeOf(SUITE, CORP)!
    expect(await bridge.credential(wecomPermanentCode).get({ suiteId: SUITE, corpId: CORP })).toEqual({
      permanent_code: code,
      agent_ids: '1000005,1000006',
    })
    expect(await bridge.credential(wecomAuthorization).get({ corpId: CORP, agentId: '1000006' })).toEqual({
      suite_id: SUITE,
    })
    // v1's corp token came with the code: stored, no get_corp_token yet.
    expect((await bridge.credential(wecomCorpToken).get({ corpId: CORP, agentId: '1000005' }))!.access_token).toMatch(
      /^CORP_/,
    )
    expect(fake.calls('get_corp_token')).toBe(0)
    // Once it is gone, the next read fetches it through get_corp_token with the permanent code.
    await bridge.credential(wecomCorpToken).remove({ corpId: CORP, agentId: '1000005' })
    const token = await bridge.credential(wecomCorpToken).get({ corpId: CORP, agentId: '1000005' })
    expect(token!.access_token).toMatch(/^CORP_/)
    expect(fake.calls('get_corp_token')).toBe(1)
    const business = await (await fetch(`${fake.url}/cgi-bin/fake/business?access_token=${token!.access_token}`)).json()
    expect(business).toMatchObject({ errcode: 0 })
  })

  it('the permanent code survives a Redis restart without persistence (SQLite holds it): a new bridge reads the corp', async () => {
    const first = await authorised()
    const code = fake.permanentCodeOf(SUITE, CORP)!
    await first.bridge.close()
    await redis.kill()
    await redis.restart()
    expect(await redisKeys()).toEqual([])
    const next = await deployment()
    expect(
      (await next.bridge.credential(wecomPermanentCode).get({ suiteId: SUITE, corpId: CORP }))!.permanent_code,
    ).toBe(code)
    // The token stored with the code is in SQLite too; once it is gone, the code fetches a new one.
    const agent = { corpId: CORP, agentId: '1000006' }
    expect((await next.bridge.credential(wecomCorpToken).get(agent))!.access_token).toMatch(/^CORP_/)
    await next.bridge.credential(wecomCorpToken).remove(agent)
    expect((await next.bridge.credential(wecomCorpToken).get(agent))!.access_token).toMatch(/^CORP_/)
    expect(fake.calls('get_corp_token')).toBe(1)
  })

  it('cancel_auth removes the corp’s credentials: code, authorisations, tokens; the app no longer reads', async () => {
    const { bridge } = await authorised()
    const agent = { corpId: CORP, agentId: '1000005' }
    await bridge.credential(wecomCorpToken).get(agent)
    expect((await fake.cancelAuth(SUITE, CORP)).reply.success).toBe(true)
    expect((await caught(bridge.credential(wecomPermanentCode).get({ suiteId: SUITE, corpId: CORP }))).code).toBe(
      'E_PUSHED_MISSING',
    )
    expect((await caught(bridge.credential(wecomAuthorization).get(agent))).code).toBe('E_PUSHED_MISSING')
    expect((await caught(bridge.credential(wecomCorpToken).get(agent))).code).toBe('E_PUSHED_MISSING')
    const keys = await redisKeys()
    // Only the memory of the failed read above is left (a shared failure record, no credential).
    expect(keys.filter((key) => key.includes(CORP))).toEqual([`wecom:${CORP}:1000005:corp-token:failure`])
  })

  it('a retried create_auth (the same push again) is answered success without a second exchange', async () => {
    const world = await deployment()
    await fake.pushSuiteTicket(SUITE)
    const sent = await fake.authorize(SUITE, CORP, { agentIds: [1000005] })
    expect((await sent.resend()).success).toBe(true)
    expect(fake.calls('get_permanent_code')).toBe(1)
    expect(await world.bridge.credential(wecomPermanentCode).get({ suiteId: SUITE, corpId: CORP })).not.toBeNull()
  })

  it('reset_permanent_code: the new code replaces the old; the corp token is fetched with the new one', async () => {
    const { bridge } = await authorised()
    const old = fake.permanentCodeOf(SUITE, CORP)!
    expect((await fake.resetPermanentCode(SUITE, CORP)).reply.success).toBe(true)
    const renewed = fake.permanentCodeOf(SUITE, CORP)!
    expect(renewed).not.toBe(old)
    expect((await bridge.credential(wecomPermanentCode).get({ suiteId: SUITE, corpId: CORP }))!.permanent_code).toBe(
      renewed,
    )
  })

  it('change_auth drops the corp’s cached tokens (refetched), keeps the authorisation', async () => {
    const { bridge } = await authorised()
    const agent = { corpId: CORP, agentId: '1000005' }
    const before = (await bridge.credential(wecomCorpToken).get(agent))!.access_token
    expect((await fake.changeAuth(SUITE, CORP)).reply.success).toBe(true)
    const after = (await bridge.credential(wecomCorpToken).get(agent))!.access_token
    expect(after).not.toBe(before)
    expect(fake.calls('get_corp_token')).toBe(1)
  })

  it('an app neither configured nor authorised: E_PUSHED_MISSING naming the authorisation, no platform call', async () => {
    const { bridge } = await deployment()
    const error = await caught(bridge.credential(wecomCorpToken).get({ corpId: 'wwother', agentId: '1' }))
    expect(error.code).toBe('E_PUSHED_MISSING')
    expect(error.message).toContain('wecom:wwother:1:authorization')
    expect(fake.calls('get_corp_token')).toBe(0)
  })

  it('a suite token WeCom rejects (42009) is refreshed once (compare-and-refresh), the corp token then fetched', async () => {
    const { bridge } = await authorised()
    const agent = { corpId: CORP, agentId: '1000005' }
    await bridge.credential(wecomCorpToken).remove(agent)
    const suiteToken = (await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token
    fake.inject('get_corp_token', { errcode: 42009, errmsg: 'suite_access_token expired' })
    expect((await bridge.credential(wecomCorpToken).get(agent))!.access_token).toMatch(/^CORP_/)
    expect(fake.calls('get_suite_token')).toBe(2)
    expect(fake.calls('get_corp_token')).toBe(2)
    expect((await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token).not.toBe(suiteToken)
  })

  it('an invalid permanent code (40084) is a config error; the code is masked in it', async () => {
    const { bridge } = await authorised()
    const agent = { corpId: CORP, agentId: '1000005' }
    await bridge.credential(wecomCorpToken).remove(agent)
    fake.inject('get_corp_token', {
      errcode: 40084,
      errmsg: `invalid permanent_code ${fake.permanentCodeOf(SUITE, CORP)}`,
    })
    const error = await caught(bridge.credential(wecomCorpToken).get(agent))
    expect(error).toMatchObject({ errcode: 40084, category: 'config' })
  })

  it('nothing secret in any storage key (memory, redis, sqlite), error or event', async () => {
    const { bridge } = await authorised()
    const agent = { corpId: CORP, agentId: '1000005' }
    await bridge.credential(wecomCorpToken).remove(agent)
    const corpToken = (await bridge.credential(wecomCorpToken).get(agent))!.access_token
    const suiteToken = (await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token
    const ticket = (await bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE }))!.suite_ticket
    const providerToken = (await bridge.credential(wecomProviderToken).get({ providerCorpId: PROVIDER.corpId }))!
      .provider_access_token
    const code = fake.permanentCodeOf(SUITE, CORP)!
    fake.inject('get_corp_token', { errcode: 40084, errmsg: `invalid permanent_code ${code}` })
    await bridge.credential(wecomCorpToken).remove(agent)
    await caught(bridge.credential(wecomCorpToken).get(agent))
    fake.inject('get_suite_token', { errcode: 40085, errmsg: `invalid suite_ticket ${ticket} ${SUITE_SECRET}` })
    await bridge.credential(wecomSuiteToken).remove({ suiteId: SUITE })
    await caught(bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))
    const secrets = [code, SUITE_SECRET, PROVIDER.providerSecret, ticket, suiteToken, corpToken, providerToken]
    const keys = await redisKeys()
    expect(keys.length).toBeGreaterThan(3)
    const sqlite = sqliteStore({ path: join(dir, 'wecom.db') })
    const sqliteKeys: string[] = []
    for (const key of keys) if ((await sqlite.get(key)) !== undefined) sqliteKeys.push(key)
    await sqlite.close()
    expect(sqliteKeys).toContain(`wecom-suite:${SUITE}:${CORP}:permanent-code`)
    expect(seen.length).toBeGreaterThan(2)
    const everything = [...keys, ...sqliteKeys, ...seen].join('\n')
    for (const secret of secrets) expect(everything).not.toContain(secret)
  })
})

describe('provider token and applySuiteEvent', () => {
  it('wecomSource serves no built-in kind; combined with another source each kind finds its own', async () => {
    const { bridge, source } = await deployment()
    expect(source).toBeInstanceOf(WecomSource)
    expect({}).not.toBeInstanceOf(WecomSource)
    expect(await source.fetch('access_token', {} as never, {} as never)).toBeNull()
    expect(await source.fetchKind('some_other_kind', {} as never, {} as never)).toBeNull()
    const combined = createBridge({ stores: [memoryStore()], source: combineSources(wechatSource(), source) })
    opened.push(combined)
    const token = await combined.credential(wecomProviderToken).get({ providerCorpId: PROVIDER.corpId })
    expect(token!.provider_access_token).toMatch(/^PROVIDER_/)
    expect(bridge).toBeDefined()
  })

  it('get_provider_token once; another provider corp id resolves null', async () => {
    const { bridge } = await deployment()
    const token = await bridge.credential(wecomProviderToken).get({ providerCorpId: PROVIDER.corpId })
    expect(token!.provider_access_token).toMatch(/^PROVIDER_/)
    await bridge.credential(wecomProviderToken).get({ providerCorpId: PROVIDER.corpId })
    expect(fake.calls('get_provider_token')).toBe(1)
    expect(await bridge.credential(wecomProviderToken).get({ providerCorpId: 'wwsomeoneelse' })).toBeNull()
  })

  it('applySuiteEvent applies a push decrypted elsewhere; other InfoTypes are ignored; a foreign SuiteId refused', async () => {
    const { bridge, source } = await deployment()
    const crypto = messageCrypto({ token: CALLBACK_TOKEN, encodingAESKey: AES_KEY, receiveId: SUITE })
    const push = (xml: string) => {
      const fields = Object.fromEntries(
        [...xml.matchAll(/<(\w+)><!\[CDATA\[([^\]]*)\]\]>/g)].map((m) => [m[1]!, m[2]!]),
      )
      return { ...crypto, message: xml, fields, root: {} as never, envelope: {}, timestamp: 0, nonce: '', id: '' }
    }
    expect(
      await applySuiteEvent(
        bridge,
        push(`<xml><SuiteId><![CDATA[${SUITE}]]></SuiteId><InfoType><![CDATA[change_contact]]></InfoType></xml>`),
        {
          suiteId: SUITE,
          source,
        },
      ),
    ).toEqual({ infoType: 'change_contact', action: 'ignored' })
    const foreign = await caught(
      applySuiteEvent(
        bridge,
        push(`<xml><SuiteId><![CDATA[other]]></SuiteId><InfoType><![CDATA[suite_ticket]]></InfoType></xml>`),
        {
          suiteId: SUITE,
        },
      ),
    )
    expect(foreign.code).toBe('E_PUSH_RECEIVE_ID')
    const bare = createBridge({ stores: [memoryStore()] })
    opened.push(bare)
    expect((await caught(applySuiteEvent(bare, push('<xml/>'), { suiteId: SUITE }))).code).toBe('E_INVALID_ARGUMENT')
  })
})
