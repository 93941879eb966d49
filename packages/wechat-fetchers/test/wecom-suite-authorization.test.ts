/**
 * A WeCom suite's authorisation kept up to date, against the fake WeCom over HTTP on [memory, redis, sqlite] tiers
 * (a real redis-server started here, a real SQLite file): change_auth re-reads get_auth_info and brings the agents
 * up to date; v2 get_permanent_code (no corp token, agents from get_auth_info); a suite token WeCom rejects in
 * get_permanent_code / get_auth_info (compare-and-refresh once); a refused suite_ticket (40085); the install page
 * URL (get_pre_auth_code, set_session_info) and the redirect's auth code. No permanent code, ticket or secret in
 * any storage key, error or event.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import {
  exchangeWecomAuthCode,
  refreshSuiteAuthorization,
  suiteCallback,
  wecomAuthorization,
  wecomCorpToken,
  wecomInstallUrl,
  wecomPermanentCode,
  wecomSource,
  wecomSuiteTicket,
  wecomSuiteToken,
  type PermanentCodeApi,
  type SuiteEventOutcome,
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

const SUITE = 'wwsuite0000000002'
const SUITE_SECRET = 'suite-secret-7a6b5c4d3e2f1a0b9c'
const CALLBACK_TOKEN = 'SuiteCallbackToken2'
const AES_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg'
const CORP = 'wwauthcorp000002'

let redis: RedisServer
let fake: FakeWecom
let dir: string
let opened: { close(): Promise<unknown> }[] = []
/** Every error a test saw and every event a bridge emitted, to look for secrets in. */
let seen: string[] = []
/** What each push the route handled did (or the error code it failed with). */
let outcomes: (SuiteEventOutcome | { failed: string })[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ob-wecom-suite-auth-'))
  seen = []
  outcomes = []
  fake = await startFakeWecom({
    suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET, token: CALLBACK_TOKEN, encodingAESKey: AES_KEY }],
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

/** A bridge on [memory, redis, sqlite] with the suite's command callback route on a real HTTP server. */
async function deployment(permanentCodeApi?: PermanentCodeApi): Promise<CredentialBridge> {
  const source = wecomSource({
    suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET, ...(permanentCodeApi ? { permanentCodeApi } : {}) }],
    baseUrl: fake.url,
    retry: { retries: 0 },
  })
  const bridge = createBridge({
    stores: [memoryStore(), redisStore({ url: redis.url }), sqliteStore({ path: join(dir, 'wecom.db') })],
    source,
  })
  recordEvents(bridge, seen)
  const callback = suiteCallback(bridge, { suiteId: SUITE, token: CALLBACK_TOKEN, encodingAESKey: AES_KEY })
  const server = await serveSuiteCallback(callback, {
    outcome: (outcome) => outcomes.push(outcome),
    error(error) {
      seen.push(errorText(error))
      outcomes.push({ failed: String((error as { code?: unknown }).code) })
    },
  })
  fake.setCallbackUrl(SUITE, server.url)
  opened.push(server, bridge)
  return bridge
}

const caught = (work: Promise<unknown>) => caughtBy<{ code?: string; field?: string; message: string }>(work, seen)
const redisKeys = () => keysOf(redis.url)

/** Every key of the redis tier, and those the SQLite file holds too. */
async function storageKeys(): Promise<string[]> {
  const keys = await redisKeys()
  const sqlite = sqliteStore({ path: join(dir, 'wecom.db') })
  const durable: string[] = []
  for (const key of keys) if ((await sqlite.get(key)) !== undefined) durable.push(key)
  await sqlite.close()
  return [...keys, ...durable]
}

async function authorised(api?: PermanentCodeApi, agentIds: number[] = [1000005, 1000006]) {
  const bridge = await deployment(api)
  await fake.pushSuiteTicket(SUITE)
  const sent = await fake.authorize(SUITE, CORP, { agentIds })
  expect(sent.reply.success).toBe(true)
  return bridge
}

const app = (agentId: string) => ({ corpId: CORP, agentId })
const codeOf = (bridge: CredentialBridge) => bridge.credential(wecomPermanentCode).get({ suiteId: SUITE, corpId: CORP })

describe('change_auth re-reads the authorisation (get_auth_info)', () => {
  it('agents added get their authorisation, removed ones lose it and their cached token; the code’s agent_ids follow', async () => {
    const bridge = await authorised()
    const code = fake.permanentCodeOf(SUITE, CORP)!
    const removedToken = (await bridge.credential(wecomCorpToken).get(app('1000005')))!.access_token
    const keptToken = (await bridge.credential(wecomCorpToken).get(app('1000006')))!.access_token
    expect((await fake.changeAuth(SUITE, CORP, { agentIds: [1000006, 1000007] })).reply.success).toBe(true)
    expect(fake.calls('get_auth_info')).toBe(1)
    expect(outcomes.at(-1)).toEqual({
      infoType: 'change_auth',
      corpId: CORP,
      action: 'refreshed',
      agents: { agentIds: ['1000006', '1000007'], added: ['1000007'], removed: ['1000005'] },
    })
    // The same permanent code, the new agents.
    expect(await codeOf(bridge)).toEqual({ permanent_code: code, agent_ids: '1000006,1000007' })
    // Removed: no authorisation, no cached token (in any tier), no read.
    expect((await caught(bridge.credential(wecomAuthorization).get(app('1000005')))).code).toBe('E_PUSHED_MISSING')
    expect((await caught(bridge.credential(wecomCorpToken).get(app('1000005')))).code).toBe('E_PUSHED_MISSING')
    const keys = await redisKeys()
    expect(keys).not.toContain(`wecom:${CORP}:1000005:corp-token`)
    expect(keys).not.toContain(`wecom:${CORP}:1000005:authorization`)
    // Added: readable through get_corp_token with the stored code.
    expect(await bridge.credential(wecomAuthorization).get(app('1000007'))).toEqual({ suite_id: SUITE })
    const added = (await bridge.credential(wecomCorpToken).get(app('1000007')))!.access_token
    expect(added).toMatch(/^CORP_/)
    // Kept: still authorised, its cached token dropped (permissions may have changed) and fetched again.
    const kept = (await bridge.credential(wecomCorpToken).get(app('1000006')))!.access_token
    expect(kept).not.toBe(keptToken)
    expect(kept).not.toBe(removedToken)
    expect(fake.calls('get_corp_token')).toBe(2)
  })

  it('a change_auth for a corp whose code the bridge does not hold: no get_auth_info, nothing stored', async () => {
    const bridge = await deployment()
    await fake.pushSuiteTicket(SUITE)
    expect((await fake.changeAuth(SUITE, 'wwunknowncorp01')).reply.success).toBe(true)
    expect(fake.calls('get_auth_info')).toBe(0)
    expect(outcomes.at(-1)).toMatchObject({ action: 'refreshed', agents: { agentIds: [], added: [], removed: [] } })
    expect((await redisKeys()).filter((key) => key.includes('wwunknowncorp01'))).toEqual([])
    expect(bridge).toBeDefined()
  })

  it.each([
    [42009, 'suite_access_token expired'],
    [40082, 'invalid suite_access_token'],
    [40085, 'invalid suite_ticket'],
  ])(
    'get_auth_info answering %i: the suite token is compare-and-refreshed once, the agents then updated',
    async (errcode, errmsg) => {
      const bridge = await authorised()
      const before = (await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token
      fake.inject('get_auth_info', { errcode, errmsg })
      expect((await fake.changeAuth(SUITE, CORP, { agentIds: [1000006] })).reply.success).toBe(true)
      expect(fake.calls('get_auth_info')).toBe(2)
      expect(fake.calls('get_suite_token')).toBe(2)
      expect((await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token).not.toBe(before)
      expect((await codeOf(bridge))!.agent_ids).toBe('1000006')
    },
  )

  it('refreshSuiteAuthorization does what change_auth does, on demand; without a held code E_PUSHED_MISSING', async () => {
    const bridge = await authorised()
    const pushes = fake.calls('get_auth_info')
    // The corp's agents change while this deployment misses the push (no callback URL reached).
    fake.setCallbackUrl(SUITE, 'http://127.0.0.1:9/unreachable')
    await fake.changeAuth(SUITE, CORP, { agentIds: [1000008] }).catch(() => undefined)
    expect(fake.calls('get_auth_info')).toBe(pushes)
    const change = await refreshSuiteAuthorization(bridge, { suiteId: SUITE, corpId: CORP })
    expect(change).toEqual({ agentIds: ['1000008'], added: ['1000008'], removed: ['1000005', '1000006'] })
    expect((await codeOf(bridge))!.agent_ids).toBe('1000008')
    expect((await caught(refreshSuiteAuthorization(bridge, { suiteId: SUITE, corpId: 'wwnone' }))).code).toBe(
      'E_PUSHED_MISSING',
    )
    expect((await caught(refreshSuiteAuthorization(bridge, { suiteId: SUITE, corpId: '' }))).field).toBe('corpId')
  })
})

describe('v2 get_permanent_code', () => {
  it('v1 (the default): one exchange, the agents from its reply, its corp token kept (no get_corp_token)', async () => {
    const bridge = await authorised()
    expect(fake.calls('get_permanent_code')).toBe(1)
    expect(fake.calls('v2/get_permanent_code')).toBe(0)
    expect(fake.calls('get_auth_info')).toBe(0)
    expect((await codeOf(bridge))!.agent_ids).toBe('1000005,1000006')
    expect((await bridge.credential(wecomCorpToken).get(app('1000005')))!.access_token).toMatch(/^CORP_/)
    expect(fake.calls('get_corp_token')).toBe(0)
  })

  it('v2: the code from v2/get_permanent_code, the agents from get_auth_info, the corp token through get_corp_token on first read', async () => {
    const bridge = await authorised('v2')
    expect(fake.calls('v2/get_permanent_code')).toBe(1)
    expect(fake.calls('get_permanent_code')).toBe(0)
    expect(fake.calls('get_auth_info')).toBe(1)
    expect(outcomes.at(-1)).toEqual({
      infoType: 'create_auth',
      corpId: CORP,
      action: 'stored',
      agents: { agentIds: ['1000005', '1000006'], added: ['1000005', '1000006'], removed: [] },
    })
    expect(await codeOf(bridge)).toEqual({
      permanent_code: fake.permanentCodeOf(SUITE, CORP),
      agent_ids: '1000005,1000006',
    })
    expect(await bridge.credential(wecomAuthorization).get(app('1000006'))).toEqual({ suite_id: SUITE })
    // v2 answers no corp token: none stored.
    expect(await redisKeys()).not.toContain(`wecom:${CORP}:1000005:corp-token`)
    expect(fake.calls('get_corp_token')).toBe(0)
    const token = (await bridge.credential(wecomCorpToken).get(app('1000005')))!.access_token
    expect(fake.calls('get_corp_token')).toBe(1)
    const business = await (await fetch(`${fake.url}/cgi-bin/fake/business?access_token=${token}`)).json()
    expect(business).toMatchObject({ errcode: 0 })
  })

  it('v2 reset_permanent_code: the new code replaces the old one, the cached token goes, the agents are re-read', async () => {
    const bridge = await authorised('v2')
    const old = fake.permanentCodeOf(SUITE, CORP)!
    const before = (await bridge.credential(wecomCorpToken).get(app('1000005')))!.access_token
    expect((await fake.resetPermanentCode(SUITE, CORP)).reply.success).toBe(true)
    const renewed = fake.permanentCodeOf(SUITE, CORP)!
    expect(renewed).not.toBe(old)
    expect(await codeOf(bridge)).toEqual({ permanent_code: renewed, agent_ids: '1000005,1000006' })
    expect(fake.calls('get_auth_info')).toBe(2)
    expect((await bridge.credential(wecomCorpToken).get(app('1000005')))!.access_token).not.toBe(before)
    expect(fake.calls('get_corp_token')).toBe(2)
  })

  it('v2 with get_auth_info failing: the code is stored all the same (it cannot be asked for again); refreshSuiteAuthorization later reads the agents', async () => {
    const bridge = await deployment('v2')
    await fake.pushSuiteTicket(SUITE)
    fake.inject('get_auth_info', { errcode: -1, errmsg: 'system busy' })
    expect((await fake.authorize(SUITE, CORP, { agentIds: [1000005] })).reply.success).toBe(false)
    expect(outcomes.at(-1)).toEqual({ failed: 'E_PLATFORM_API' })
    expect(await codeOf(bridge)).toEqual({ permanent_code: fake.permanentCodeOf(SUITE, CORP), agent_ids: '' })
    expect(await refreshSuiteAuthorization(bridge, { suiteId: SUITE, corpId: CORP })).toMatchObject({
      agentIds: ['1000005'],
    })
    expect((await bridge.credential(wecomCorpToken).get(app('1000005')))!.access_token).toMatch(/^CORP_/)
  })

  it('v2: WeCom’s retry of a create_auth whose get_auth_info failed re-reads the agents, never spends the auth code again', async () => {
    const bridge = await deployment('v2')
    await fake.pushSuiteTicket(SUITE)
    fake.inject('get_auth_info', { errcode: -1, errmsg: 'system busy' })
    const sent = await fake.authorize(SUITE, CORP, { agentIds: [1000005] })
    expect(sent.reply.success).toBe(false)
    expect((await sent.resend()).success).toBe(true)
    expect(fake.calls('v2/get_permanent_code')).toBe(1)
    expect(fake.calls('get_auth_info')).toBe(2)
    expect(outcomes.at(-1)).toMatchObject({ action: 'stored', corpId: CORP, agents: { agentIds: ['1000005'] } })
    expect((await codeOf(bridge))!.agent_ids).toBe('1000005')
  })

  it('permanentCodeApi is checked: E_INVALID_ARGUMENT naming suites[0].permanentCodeApi, no secret quoted', async () => {
    const error = await caught(
      (async () =>
        wecomSource({
          suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET, permanentCodeApi: 'v3' as PermanentCodeApi }],
        }))(),
    )
    expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT', field: 'suites[0].permanentCodeApi' })
    expect(error.message).not.toContain(SUITE_SECRET)
    expect(() =>
      wecomSource({ suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET, permanentCodeApi: 'v2' }] }),
    ).not.toThrow()
  })
})

describe('a suite token or ticket WeCom rejects mid-flow', () => {
  it.each(['v1', 'v2'] as const)(
    '%s get_permanent_code answering 40082: the suite token is refreshed once and the (unspent) auth code exchanged',
    async (api) => {
      const bridge = await deployment(api)
      await fake.pushSuiteTicket(SUITE)
      const before = (await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token
      const endpoint = api === 'v2' ? 'v2/get_permanent_code' : 'get_permanent_code'
      fake.inject(endpoint, { errcode: 40082, errmsg: 'invalid suite_access_token' })
      expect((await fake.authorize(SUITE, CORP, { agentIds: [1000005] })).reply.success).toBe(true)
      expect(fake.calls(endpoint)).toBe(2)
      expect(fake.calls('get_suite_token')).toBe(2)
      expect((await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token).not.toBe(before)
      expect((await codeOf(bridge))!.agent_ids).toBe('1000005')
    },
  )

  it('get_suite_token answering 40085: E_SUITE_TICKET_REFUSED (no ticket quoted); the next push fixes it', async () => {
    const bridge = await deployment()
    const { ticket } = await fake.pushSuiteTicket(SUITE)
    fake.inject('get_suite_token', { errcode: 40085, errmsg: `invalid suite_ticket ${ticket}` })
    const error = await caught(bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))
    expect(error.code).toBe('E_SUITE_TICKET_REFUSED')
    expect(error.message).toContain('next suite_ticket push')
    expect(`${error.message} ${JSON.stringify(error)} ${inspect(error, { depth: 6 })}`).not.toContain(ticket)
    const next = await fake.pushSuiteTicket(SUITE)
    expect((await bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE }))!.suite_ticket).toBe(next.ticket)
    await bridge.credential(wecomSuiteToken).remove({ suiteId: SUITE })
    expect((await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token).toMatch(/^SUITE_/)
  })
})

describe('the install page URL', () => {
  it('a fresh pre-auth code (set_session_info when authType is given); the redirect’s auth code is exchanged and stored', async () => {
    const bridge = await deployment('v2')
    await fake.pushSuiteTicket(SUITE)
    const url = await wecomInstallUrl(bridge, {
      suiteId: SUITE,
      redirectUri: 'https://provider.example.com/wecom/installed?x=1',
      state: 'abc123',
      authType: 1,
    })
    const parsed = new URL(url)
    expect(`${parsed.origin}${parsed.pathname}`).toBe('https://open.work.weixin.qq.com/3rdapp/install')
    expect(parsed.searchParams.get('suite_id')).toBe(SUITE)
    expect(parsed.searchParams.get('redirect_uri')).toBe('https://provider.example.com/wecom/installed?x=1')
    expect(parsed.searchParams.get('state')).toBe('abc123')
    expect(fake.sessionAuthTypeOf(parsed.searchParams.get('pre_auth_code')!)).toBe(1)
    expect(fake.calls('get_pre_auth_code')).toBe(1)
    expect(fake.calls('set_session_info')).toBe(1)
    const back = new URL(fake.installFromUrl(url, CORP, { agentIds: [1000009] }))
    expect(back.searchParams.get('state')).toBe('abc123')
    const authCode = back.searchParams.get('auth_code')!
    expect(await exchangeWecomAuthCode(bridge, { suiteId: SUITE, authCode })).toEqual({
      corpId: CORP,
      agents: { agentIds: ['1000009'], added: ['1000009'], removed: [] },
    })
    expect((await bridge.credential(wecomCorpToken).get(app('1000009')))!.access_token).toMatch(/^CORP_/)
    // Without authType, no set_session_info.
    await wecomInstallUrl(bridge, { suiteId: SUITE, redirectUri: 'https://provider.example.com/back' })
    expect(fake.calls('set_session_info')).toBe(1)
  })

  it('bad input is refused before any platform call, naming the field', async () => {
    const bridge = await deployment()
    await fake.pushSuiteTicket(SUITE)
    const base = { suiteId: SUITE, redirectUri: 'https://provider.example.com/back' }
    expect((await caught(wecomInstallUrl(bridge, { ...base, redirectUri: 'javascript:alert(1)' }))).field).toBe(
      'redirectUri',
    )
    expect((await caught(wecomInstallUrl(bridge, { ...base, state: 'not valid!' }))).field).toBe('state')
    expect((await caught(wecomInstallUrl(bridge, { ...base, authType: 2 as 0 }))).field).toBe('authType')
    expect((await caught(exchangeWecomAuthCode(bridge, { suiteId: SUITE, authCode: '' }))).field).toBe('authCode')
    expect(fake.calls('get_pre_auth_code')).toBe(0)
    expect(fake.calls('get_suite_token')).toBe(0)
  })
})

it('nothing secret in any storage key (memory, redis, sqlite), error or event of these paths', async () => {
  const bridge = await authorised('v2')
  const code = fake.permanentCodeOf(SUITE, CORP)!
  const ticket = (await bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE }))!.suite_ticket
  const suiteToken = (await bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))!.suite_access_token
  // get_auth_info failing with the code and the token in its errmsg, and 40084 on refresh.
  fake.inject('get_auth_info', { errcode: 40084, errmsg: `invalid permanent_code ${code} ${suiteToken}` }, 2)
  await fake.changeAuth(SUITE, CORP, { agentIds: [1000006] })
  await caught(refreshSuiteAuthorization(bridge, { suiteId: SUITE, corpId: CORP }))
  expect(await wecomInstallUrl(bridge, { suiteId: SUITE, redirectUri: 'https://provider.example.com/back' })).toContain(
    'pre_auth_code=',
  )
  fake.inject('get_suite_token', { errcode: 40085, errmsg: `invalid suite_ticket ${ticket} ${SUITE_SECRET}` })
  await bridge.credential(wecomSuiteToken).remove({ suiteId: SUITE })
  await caught(bridge.credential(wecomSuiteToken).get({ suiteId: SUITE }))
  expect(outcomes.some((outcome) => 'failed' in outcome)).toBe(true)
  const keys = await storageKeys()
  expect(keys).toContain(`wecom-suite:${SUITE}:${CORP}:permanent-code`)
  expect(seen.length).toBeGreaterThan(3)
  const everything = [...keys, ...seen, JSON.stringify(outcomes)].join('\n')
  for (const secret of [code, ticket, SUITE_SECRET, suiteToken]) expect(everything).not.toContain(secret)
})
