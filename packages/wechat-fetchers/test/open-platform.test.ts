/**
 * The Open Platform family against the fake over HTTP, with a real SQLite tier: pushed tickets (and the previous one
 * on 61005 / 61006, never one older than 12 h), authorised accounts read like any app, lost refresh tokens recovered
 * from the list, 61023 stopping one account only, duplicate and `unauthorized` pushes — and no secret anywhere.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, withAccessToken, type CredentialBridge } from '@open-bridge/core'
import {
  applyComponentPush,
  authorizationPageUrl,
  authorizerAccessToken,
  authorizerHome,
  authorizerRefreshToken,
  authorizerState,
  code2Session,
  componentAccessToken,
  componentTicketAge,
  componentVerifyTicket,
  exchangeAuthorizationCode,
  jsapiSignature,
  listAuthorizers,
  messageCrypto,
  onOpenPlatformEvent,
  rebuildAuthorizers,
  startPushTicket,
  wechatSource,
  type ComponentPushOutcome,
  type OpenPlatformEvent,
} from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat, type FakeWeChatOptions } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, describe, expect, it } from 'vitest'

const A = {
  appid: 'wxc0mp0nentaaaa0001',
  secret: 'component-secret-A-5e4d3c2b1a09',
  token: 'pushTokenA1',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const B = {
  appid: 'wxc0mp0nentbbbb0002',
  secret: 'component-secret-B-0a1b2c3d4e5f',
  token: 'pushTokenB2',
  encodingAESKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg',
}
const OA = 'wxauth0r1zer0a0001'
const OA2 = 'wxauth0r1zer0a0002'
const MINI = 'wxauth0r1zerm00001'
const HOUR_S = 3600

interface World {
  fake: FakeWeChat
  bridge: CredentialBridge
  events: OpenPlatformEvent[]
  dir: string
  /** The authorisation event URL of component `appid`, as the server would serve it. */
  eventUrl(appid: string): string
  outcomes: ComponentPushOutcome[]
  /** Every secret the world has seen, for the leak checks. */
  secrets: Set<string>
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startWorld(fakeOptions: FakeWeChatOptions = {}, tiers: 'sqlite' | 'memory-only' = 'sqlite') {
  const fake = await startFakeWeChat({ components: [A, B], ...fakeOptions })
  cleanups.push(() => fake.close())
  const dir = mkdtempSync(join(tmpdir(), 'ob-op-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const source = wechatSource({
    baseUrl: fake.url,
    retry: { retries: 0 },
    openPlatform: {
      components: [
        { componentAppid: A.appid, componentSecret: A.secret },
        { componentAppid: B.appid, componentSecret: B.secret },
      ],
    },
  })
  const bridge = createBridge({
    stores: tiers === 'sqlite' ? [memoryStore(), sqliteStore({ path: join(dir, 'op.db') })] : [memoryStore()],
    source,
  })
  cleanups.push(() => bridge.close())
  const events: OpenPlatformEvent[] = []
  onOpenPlatformEvent(bridge, (event) => events.push(event))
  // The receiver: what the server's event route does (verify, decrypt, apply, answer `success`).
  const outcomes: ComponentPushOutcome[] = []
  const cryptos = new Map(
    [A, B].map((c) => [
      c.appid,
      messageCrypto({ token: c.token, encodingAESKey: c.encodingAESKey, receiveId: c.appid }),
    ]),
  )
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += String(chunk)
    })
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver')
      const appid = url.pathname.split('/')[2]!
      Promise.resolve()
        .then(() => cryptos.get(appid)!.decryptPush(url.searchParams, body))
        .then((push) => applyComponentPush(bridge, push, { componentAppid: appid }))
        .then(
          (outcome) => {
            outcomes.push(outcome)
            res.end('success')
          },
          (error: unknown) => {
            res.statusCode = 400
            res.end(String((error as Error).message))
          },
        )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as AddressInfo).port
  const world: World = {
    fake,
    bridge,
    events,
    dir,
    outcomes,
    eventUrl: (appid) => `http://127.0.0.1:${port}/open-platform/${appid}/events`,
    secrets: new Set([A.secret, B.secret, A.token, B.token, A.encodingAESKey, B.encodingAESKey]),
  }
  return world
}

const business = async (fake: FakeWeChat, token: string) =>
  ((await (await fetch(`${fake.url}/fake/business?access_token=${token}`)).json()) as { errcode: number }).errcode

/** A ticket pushed over HTTP to the receiver, and an account authorised (its `authorized` push applied). */
async function onboard(world: World, component = A, account = OA) {
  const { ticket, sent } = await world.fake.pushTicket(component.appid, world.eventUrl(component.appid))
  expect(sent!.reply.success).toBe(true)
  world.secrets.add(ticket)
  const { authorizationCode, sent: pushed } = await world.fake.authorize(component.appid, account, {
    url: world.eventUrl(component.appid),
  })
  expect(pushed!.reply.text).toBe('success')
  world.secrets.add(authorizationCode)
  world.secrets.add(world.fake.authorizerRefreshToken(component.appid, account)!)
  return { ticket }
}

async function refusal(work: Promise<unknown>) {
  try {
    await work
  } catch (error) {
    return error as { code?: string; errcode?: number; field?: string; message: string }
  }
  throw new Error('expected a refusal')
}

/** No secret the world has seen in `text`. */
function expectNoSecret(world: World, text: string) {
  for (const secret of world.secrets) expect(text.includes(secret), `leaks ${secret.slice(0, 6)}…`).toBe(false)
}

describe('pushes and authorised accounts read like any app', () => {
  it('ticket and authorized pushes over HTTP: the account is read with getAccessToken({ appid }), no secret configured', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await onboard(world)
    expect(world.outcomes.map((o) => o.action)).toEqual(['ticket-stored', 'authorized'])
    expect(fake.calls('query_auth')).toBe(1)
    // The token api_query_auth gave is stored under the built-in access_token kind: no api_authorizer_token.
    const token = (await bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))!.access_token
    world.secrets.add(token)
    expect(await business(fake, token)).toBe(0)
    expect(fake.calls('authorizer_token')).toBe(0)
    expect(await authorizerState(bridge, OA)).toEqual({
      componentAppid: A.appid,
      componentAppids: [A.appid],
      status: 'authorized',
    })
    expect(await componentTicketAge(bridge, A.appid)).toBeLessThan(5)

    // Cold: the source finds the home component and fetches through api_authorizer_token.
    await bridge.removeAccessToken({ appid: OA, platform: 'weixin-h5' })
    const fresh = (await bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))!.access_token
    world.secrets.add(fresh)
    expect(fresh).not.toBe(token)
    expect(await business(fake, fresh)).toBe(0)
    expect(fake.calls('authorizer_token')).toBe(1)
    expect(fake.calls('component_token')).toBe(1)

    // Its JS-SDK ticket and signature, and compare-and-refresh of a dead token: one api_authorizer_token.
    const ticket = (await bridge.getTicket({ appid: OA, platform: 'weixin-h5' }))!.ticket
    world.secrets.add(ticket)
    const signed = await jsapiSignature(bridge, { appid: OA, platform: 'weixin-h5' }, { url: 'https://shop.example/p' })
    expect(signed.appId).toBe(OA)
    expect(fake.revokeToken(fresh)).toBe(true)
    const rejected = new Error('rejected')
    const code = await withAccessToken(
      bridge,
      { appid: OA, platform: 'weixin-h5' },
      async (t: string) => {
        const errcode = await business(fake, t)
        if (errcode !== 0) throw rejected
        return errcode
      },
      (error) => error === rejected,
    )
    expect(code).toBe(0)
    expect(fake.calls('authorizer_token')).toBe(2)
    expect(world.events.some((e) => e.type === 'authorized' && e.authorizerAppid === OA)).toBe(true)
  })

  it('a mini program authorised to the component logs its users in through /sns/component/jscode2session', async () => {
    const world = await startWorld()
    await onboard(world, A, MINI)
    const loginCode = world.fake.issueLoginCode(MINI, { openid: 'o-user-1' })
    const session = await code2Session(world.bridge, { appid: MINI, platform: 'weixin-mp' }, loginCode)
    expect(session.openid).toBe('o-user-1')
    expect(world.fake.calls('component_jscode2session')).toBe(1)
    expect(
      (await world.bridge.getSessionKey({ appid: MINI, platform: 'weixin-mp', openid: 'o-user-1' }))!.session_key,
    ).toBe(session.session_key)
  })

  it('duplicate pushes are harmless: the same ticket twice, the same authorized push twice', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    const { ticket } = await world.fake.pushTicket(A.appid)
    const fields = {
      AppId: A.appid,
      InfoType: 'component_verify_ticket',
      ComponentVerifyTicket: ticket,
      CreateTime: String(Math.floor(Date.now() / 1000)),
    }
    expect((await applyComponentPush(bridge, { fields })).action).toBe('ticket-stored')
    expect((await applyComponentPush(bridge, { fields })).action).toBe('ticket-duplicate')
    const held = await bridge.credential(componentVerifyTicket).get({ componentAppid: A.appid })
    expect(held!.ticket).toBe(ticket)
    expect(held!.previousTicket).toBeUndefined()
    const { authorizationCode } = await fake.authorize(A.appid, OA)
    const push = {
      fields: { AppId: A.appid, InfoType: 'authorized', AuthorizerAppid: OA, AuthorizationCode: authorizationCode },
    }
    expect(await applyComponentPush(bridge, push)).toMatchObject({ action: 'authorized', authorizerAppid: OA })
    const token = (await bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))!.access_token
    expect(await applyComponentPush(bridge, push)).toMatchObject({ action: 'authorized', duplicate: true })
    expect((await bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))!.access_token).toBe(token)
    expect(await business(fake, token)).toBe(0)
  })

  it('unauthorized removes the account: refresh token, home and tokens; reading it is E_AUTHORIZER_UNKNOWN', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await onboard(world)
    await onboard(world, A, OA2)
    await fake.unauthorize(A.appid, OA, world.eventUrl(A.appid))
    expect(world.outcomes.at(-1)).toMatchObject({ action: 'unauthorized', authorizerAppid: OA })
    const error = await refusal(bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))
    expect(error.code).toBe('E_AUTHORIZER_UNKNOWN')
    expect(
      await bridge.credential(authorizerRefreshToken).get({ componentAppid: A.appid, authorizerAppid: OA }),
    ).toBeNull()
    // The other account is untouched.
    expect(
      await business(fake, (await bridge.getAccessToken({ appid: OA2, platform: 'weixin-h5' }))!.access_token),
    ).toBe(0)
    // A second unauthorized push for the same account changes nothing and does not fail.
    await fake.unauthorize(A.appid, OA, world.eventUrl(A.appid))
    expect(world.outcomes.at(-1)).toMatchObject({ action: 'unauthorized' })
  })

  it('onboarding: the authorisation page with a fresh pre-auth code, and the returned auth_code exchanged', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await fake.pushTicket(A.appid, world.eventUrl(A.appid))
    const page = new URL(
      await authorizationPageUrl(bridge, { componentAppid: A.appid, redirectUri: 'https://saas.example/back' }),
    )
    expect(page.searchParams.get('component_appid')).toBe(A.appid)
    expect(page.searchParams.get('pre_auth_code')).toMatch(/^preauthcode@@@/)
    expect(fake.calls('create_preauthcode')).toBe(1)
    const { authorizationCode } = await fake.authorize(A.appid, MINI)
    expect(
      await exchangeAuthorizationCode(bridge, { componentAppid: A.appid, authorizationCode, platform: 'weixin-mp' }),
    ).toEqual({
      authorizerAppid: MINI,
    })
    expect(
      await business(fake, (await bridge.getAccessToken({ appid: MINI, platform: 'weixin-mp' }))!.access_token),
    ).toBe(0)
    expect(fake.calls('authorizer_token')).toBe(0)
    expect(await listAuthorizers(bridge, A.appid)).toEqual([{ authorizerAppid: MINI, authTime: expect.any(Number) }])
    await startPushTicket(bridge, A.appid)
    expect(fake.pushTicketRequests(A.appid)).toBe(1)
    const bad = await refusal(
      authorizationPageUrl(bridge, { componentAppid: 'wxnotconfigured0001', redirectUri: 'https://x.example' }),
    )
    expect(bad).toMatchObject({ code: 'E_UNKNOWN_COMPONENT', field: 'componentAppid' })
  })
})

describe('verify tickets', () => {
  it('61005 on the newest ticket: the previous one (within 12 h) is used', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await fake.pushTicket(A.appid, world.eventUrl(A.appid))
    await fake.pushTicket(A.appid, world.eventUrl(A.appid))
    const held = await bridge.credential(componentVerifyTicket).get({ componentAppid: A.appid })
    expect(held!.previousTicket).toBeDefined()
    fake.inject('component_token', { errcode: 61005 })
    const token = await bridge.credential(componentAccessToken).get({ componentAppid: A.appid })
    expect(token!.component_access_token).toBeTruthy()
    expect(fake.calls('component_token')).toBe(2)
    expect(world.events).toContainEqual({ type: 'ticket-fallback', componentAppid: A.appid, errcode: 61005 })
  })

  it('a ticket older than 12 h is never used: not stored from a late push, never sent as the previous one', async () => {
    const clock = { offset: 0 }
    const world = await startWorld({ now: () => Date.now() + clock.offset })
    const { fake, bridge } = world
    // A push minted 13 h ago (its CreateTime says so) is refused at the door.
    clock.offset = -13 * HOUR_S * 1000
    await fake.pushTicket(A.appid, world.eventUrl(A.appid))
    expect(world.outcomes.at(-1)!.action).toBe('ticket-stale')
    expect((await refusal(bridge.credential(componentVerifyTicket).get({ componentAppid: A.appid }))).code).toBe(
      'E_PUSHED_MISSING',
    )
    // A ticket 2 s short of 12 h, then a new one: the old one is the previous one until it turns 12 h.
    clock.offset = -(12 * HOUR_S - 2) * 1000
    await fake.pushTicket(A.appid, world.eventUrl(A.appid))
    clock.offset = 0
    await fake.pushTicket(A.appid, world.eventUrl(A.appid))
    expect(world.outcomes.map((o) => o.action)).toEqual(['ticket-stale', 'ticket-stored', 'ticket-stored'])
    await new Promise((resolve) => setTimeout(resolve, 2500))
    fake.inject('component_token', { errcode: 61006 })
    const error = await refusal(bridge.credential(componentAccessToken).get({ componentAppid: A.appid }))
    expect(error.errcode).toBe(61006)
    // One call: the previous ticket, now past 12 h, was not sent.
    expect(fake.calls('component_token')).toBe(1)
    expect(world.events.some((e) => e.type === 'ticket-fallback')).toBe(false)
  })

  it('no ticket ever pushed: E_PUSHED_MISSING says what to check; a memory-only bridge refuses a durable ticket', async () => {
    const world = await startWorld()
    const error = await refusal(world.bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))
    expect(error.code).toBe('E_AUTHORIZER_UNKNOWN')
    const missing = await refusal(world.bridge.credential(componentAccessToken).get({ componentAppid: A.appid }))
    expect(missing.code).toBe('E_PUSHED_MISSING')
    expect(missing.message).toContain('authorisation event URL')
    const memoryOnly = await startWorld({}, 'memory-only')
    const { ticket } = await memoryOnly.fake.pushTicket(A.appid)
    const refused = await refusal(
      applyComponentPush(memoryOnly.bridge, {
        fields: { AppId: A.appid, InfoType: 'component_verify_ticket', ComponentVerifyTicket: ticket },
      }),
    )
    expect(refused.code).toBe('E_NO_DURABLE_TIER')
    expectNoSecret(world, refused.message)
  })
})

describe('refresh tokens', () => {
  it('a lost refresh token is recovered from api_get_authorizer_list before anything fails', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await onboard(world)
    await onboard(world, A, OA2)
    // Both refresh tokens and homes lost (a tier gone), and no token held.
    for (const account of [OA, OA2]) {
      await bridge.credential(authorizerRefreshToken).remove({ componentAppid: A.appid, authorizerAppid: account })
      await bridge.credential(authorizerHome).remove({ authorizerAppid: account })
      await bridge.removeAccessToken({ appid: account, platform: 'weixin-h5' })
    }
    const [one, two] = await Promise.all(
      [OA, OA2].map((appid) => bridge.getAccessToken({ appid, platform: 'weixin-h5' })),
    )
    expect(await business(fake, one!.access_token)).toBe(0)
    expect(await business(fake, two!.access_token)).toBe(0)
    // Homes (searched in both components' lists) and refresh tokens came from the list scans, shared.
    expect(fake.calls('get_authorizer_list')).toBeLessThanOrEqual(2)
    expect(world.events.filter((e) => e.type === 'refresh-token-recovered')).toHaveLength(2)
    expect(await authorizerState(bridge, OA)).toMatchObject({ componentAppid: A.appid, status: 'authorized' })
    const rebuilt = await rebuildAuthorizers(bridge, A.appid)
    expect(rebuilt).toEqual({ total: 2, written: 0, unchanged: 2 })
  })

  it('rebuildAuthorizers writes every missing refresh token and home', async () => {
    const world = await startWorld()
    const { bridge } = world
    await onboard(world)
    await onboard(world, A, OA2)
    await bridge.credential(authorizerRefreshToken).remove({ componentAppid: A.appid, authorizerAppid: OA2 })
    // A `get` would recover it; the rebuild writes it without one.
    const rebuilt = await rebuildAuthorizers(bridge, A.appid)
    expect(rebuilt).toEqual({ total: 2, written: 1, unchanged: 1 })
    expect(
      (await bridge.credential(authorizerRefreshToken).get({ componentAppid: A.appid, authorizerAppid: OA2 }))!
        .authorizer_refresh_token,
    ).toBe(world.fake.authorizerRefreshToken(A.appid, OA2))
  })

  it('the refresh token api_authorizer_token returns is always stored (a platform that rotates them)', async () => {
    const world = await startWorld({ rotateAuthorizerRefreshTokens: true })
    const { fake, bridge } = world
    await onboard(world)
    for (let i = 0; i < 3; i++) {
      const old = (await bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))!.access_token
      const next = (await bridge.refreshAccessToken({ appid: OA, platform: 'weixin-h5' }, { ifValue: old }))!
        .access_token
      expect(await business(fake, next)).toBe(0)
    }
    expect(fake.calls('authorizer_token')).toBe(3)
    expect(
      (await bridge.credential(authorizerRefreshToken).get({ componentAppid: A.appid, authorizerAppid: OA }))!
        .authorizer_refresh_token,
    ).toBe(fake.authorizerRefreshToken(A.appid, OA))
    expect(world.events.some((e) => e.type === 'reauthorization-needed')).toBe(false)
  })

  it('61023 stops that account only: an event, no retry loop, the other accounts served; re-authorising clears it', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await onboard(world)
    await onboard(world, A, OA2)
    for (const appid of [OA, OA2]) await bridge.removeAccessToken({ appid, platform: 'weixin-h5' })
    fake.invalidateAuthorizerRefreshToken(A.appid, OA)
    const first = await refusal(bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))
    expect(first.errcode).toBe(61023)
    expect(world.events).toContainEqual({
      type: 'reauthorization-needed',
      componentAppid: A.appid,
      authorizerAppid: OA,
      errcode: 61023,
    })
    const calls = fake.calls('authorizer_token')
    expect(calls).toBe(1)
    for (let i = 0; i < 5; i++) {
      const again = await refusal(bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))
      expect(['E_AUTHORIZER_REAUTHORIZE', 'E_PLATFORM_API']).toContain(again.code)
    }
    expect(fake.calls('authorizer_token')).toBe(calls)
    expect((await authorizerState(bridge, OA))!.status).toBe('reauthorize')
    // The other account is fetched and works.
    expect(
      await business(fake, (await bridge.getAccessToken({ appid: OA2, platform: 'weixin-h5' }))!.access_token),
    ).toBe(0)
    // The merchant authorises again: the push clears the mark, the account is served.
    await fake.authorize(A.appid, OA, { url: world.eventUrl(A.appid) })
    expect((await authorizerState(bridge, OA))!.status).toBe('authorized')
  })

  it('61023 for a refresh token replaced elsewhere: the listed one is stored and the call made again', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await onboard(world)
    await bridge.removeAccessToken({ appid: OA, platform: 'weixin-h5' })
    // A stale refresh token held here (another deployment's write lost, a restored backup).
    await bridge
      .credential(authorizerRefreshToken)
      .set({ componentAppid: A.appid, authorizerAppid: OA }, { authorizer_refresh_token: 'refreshtoken@@@stale' })
    const token = (await bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))!.access_token
    expect(await business(fake, token)).toBe(0)
    expect(fake.calls('authorizer_token')).toBe(2)
    expect(fake.calls('get_authorizer_list')).toBe(1)
    expect(
      (await bridge.credential(authorizerRefreshToken).get({ componentAppid: A.appid, authorizerAppid: OA }))!
        .authorizer_refresh_token,
    ).toBe(fake.authorizerRefreshToken(A.appid, OA))
    expect(world.events).toContainEqual({
      type: 'refresh-token-recovered',
      componentAppid: A.appid,
      authorizerAppid: OA,
    })
    expect((await authorizerState(bridge, OA))!.status).toBe('authorized')
    // Named through a component that does not hold it: E_AUTHORIZER_UNKNOWN naming componentAppid.
    await bridge.removeAccessToken({ appid: OA, platform: 'weixin-mp' })
    const error = await refusal(
      authorizerAccessToken(bridge, { componentAppid: B.appid, authorizerAppid: OA, platform: 'weixin-mp' }),
    )
    expect(error).toMatchObject({ code: 'E_AUTHORIZER_UNKNOWN', field: 'componentAppid' })
  })

  it('an account authorised to two components: E_AUTHORIZER_AMBIGUOUS without componentAppid, served with it', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await onboard(world, A, OA)
    await onboard(world, B, OA)
    for (const platform of ['weixin-h5', 'weixin-mp'] as const) await bridge.removeAccessToken({ appid: OA, platform })
    const error = await refusal(bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))
    expect(error).toMatchObject({ code: 'E_AUTHORIZER_AMBIGUOUS', field: 'componentAppid' })
    const token = await authorizerAccessToken(bridge, {
      componentAppid: B.appid,
      authorizerAppid: OA,
      platform: 'weixin-h5',
    })
    expect(await business(fake, token!.access_token)).toBe(0)
    // Now held: the plain read is a hit.
    expect((await bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))!.access_token).toBe(token!.access_token)
  })
})

describe('secrets stay secret', () => {
  it('no secret, ticket, token, refresh token or code in storage keys, events, errors or inspect output', async () => {
    const world = await startWorld()
    const { fake, bridge } = world
    await onboard(world)
    await bridge.removeAccessToken({ appid: OA, platform: 'weixin-h5' })
    world.secrets.add((await bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' }))!.access_token)
    world.secrets.add(
      (await bridge.credential(componentAccessToken).get({ componentAppid: A.appid }))!.component_access_token,
    )
    const errors: unknown[] = []
    fake.invalidateAuthorizerRefreshToken(A.appid, OA)
    await bridge.removeAccessToken({ appid: OA, platform: 'weixin-h5' })
    errors.push(await refusal(bridge.getAccessToken({ appid: OA, platform: 'weixin-h5' })))
    fake.inject('component_token', { errcode: 61006 })
    await bridge.credential(componentAccessToken).remove({ componentAppid: A.appid })
    errors.push(await refusal(bridge.credential(componentAccessToken).get({ componentAppid: A.appid })))
    expect(errors).toHaveLength(2)
    for (const error of errors) {
      expectNoSecret(
        world,
        `${(error as Error).message}\n${(error as Error).stack}\n${JSON.stringify(error)}\n${inspect(error, { depth: 8, showHidden: true })}`,
      )
    }
    expectNoSecret(world, JSON.stringify(world.events))
    expectNoSecret(world, inspect(bridge.source, { depth: 8, showHidden: true }))
    // Storage keys, read from the SQLite file itself: appids only.
    const db = new Database(join(world.dir, 'op.db'), { readonly: true })
    const keys = (db.prepare('SELECT key FROM credentials').all() as { key: string }[]).map((row) => row.key)
    db.close()
    expect(keys).toContain(`wechat-open:${A.appid}:authorizer:${OA}:refresh-token`)
    expect(keys).toContain(`wechat-open:${A.appid}:verify-ticket`)
    expectNoSecret(world, keys.join('\n'))
  })
})
