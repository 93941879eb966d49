/**
 * The Open Platform family's refusals and edges: bad configuration and input are typed errors naming the field,
 * pushes of other InfoTypes, fast registration, a component token the platform rejects, listeners that throw.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import {
  applyComponentPush,
  authorizationPageUrl,
  authorizerState,
  componentAccessToken,
  componentTicketAge,
  componentVerifyTicket,
  exchangeAuthorizationCode,
  isWechatError,
  listAuthorizers,
  onOpenPlatformEvent,
  rebuildAuthorizers,
  wechatSource,
  type OpenPlatformEvent,
} from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, describe, expect, it } from 'vitest'

const C = {
  appid: 'wxc0mp0nentinput001',
  secret: 'component-secret-inputs-1234',
  token: 'pushTokenInputs',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const ACCOUNT = 'wxauth0r1zerinp001'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function world(): Promise<{ fake: FakeWeChat; bridge: CredentialBridge; events: OpenPlatformEvent[] }> {
  const fake = await startFakeWeChat({ components: [C] })
  cleanups.push(() => fake.close())
  const dir = mkdtempSync(join(tmpdir(), 'ob-op-in-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const bridge = createBridge({
    stores: [memoryStore(), sqliteStore({ path: join(dir, 'in.db') })],
    source: wechatSource({
      baseUrl: fake.url,
      retry: { retries: 0 },
      openPlatform: { components: [{ componentAppid: C.appid, componentSecret: C.secret }] },
    }),
  })
  cleanups.push(() => bridge.close())
  const events: OpenPlatformEvent[] = []
  onOpenPlatformEvent(bridge, (event) => events.push(event))
  return { fake, bridge, events }
}

async function refusal(work: Promise<unknown> | (() => unknown)) {
  try {
    await (typeof work === 'function' ? work() : work)
  } catch (error) {
    return error as { code?: string; field?: string; errcode?: number; message: string }
  }
  throw new Error('expected a refusal')
}

const ticketPush = (ticket: string, createTime = Math.floor(Date.now() / 1000)) => ({
  fields: {
    AppId: C.appid,
    InfoType: 'component_verify_ticket',
    ComponentVerifyTicket: ticket,
    CreateTime: String(createTime),
  },
})

describe('configuration', () => {
  it('a malformed openPlatform is E_INVALID_ARGUMENT naming the field', async () => {
    const cases: [unknown, string][] = [
      [null, 'openPlatform'],
      [{ components: [] }, 'openPlatform.components'],
      [{ components: [{ componentAppid: 'nope', componentSecret: 's' }] }, 'openPlatform.components[0].componentAppid'],
      [
        { components: [{ componentAppid: C.appid, componentSecret: '' }] },
        'openPlatform.components[0].componentSecret',
      ],
      [{ components: ['x'] }, 'openPlatform.components[0]'],
      [
        {
          components: [
            { componentAppid: C.appid, componentSecret: 's' },
            { componentAppid: C.appid, componentSecret: 's' },
          ],
        },
        'openPlatform.components[1].componentAppid',
      ],
      [
        { components: [{ componentAppid: C.appid, componentSecret: 's' }], recoveryReuseMs: -1 },
        'openPlatform.recoveryReuseMs',
      ],
    ]
    for (const [openPlatform, field] of cases) {
      const error = await refusal(() => wechatSource({ openPlatform: openPlatform as never }))
      expect(isWechatError(error, 'E_INVALID_ARGUMENT'), field).toBe(true)
      expect(error.field).toBe(field)
      expect(error.message).not.toContain('component-secret')
    }
  })

  it('a bridge whose source configures no component: E_OPEN_PLATFORM_NOT_CONFIGURED', async () => {
    const bridge = createBridge({ stores: [memoryStore()], source: wechatSource() })
    cleanups.push(() => bridge.close())
    const error = await refusal(() => applyComponentPush(bridge, ticketPush('t')))
    expect(error).toMatchObject({ code: 'E_OPEN_PLATFORM_NOT_CONFIGURED', field: 'source' })
    // Its registered kinds resolve null through it: no component to fetch from.
    await expect(bridge.credential(componentAccessToken).get({ componentAppid: C.appid })).resolves.toBeNull()
  })
})

describe('pushes', () => {
  it('bad pushes are typed errors naming the field; nothing is stored', async () => {
    const { bridge } = await world()
    expect((await refusal(() => applyComponentPush(bridge, null as never))).field).toBe('push.fields')
    expect(
      (await refusal(() => applyComponentPush(bridge, { fields: { AppId: 'wxnotconfigured00001', InfoType: 'x' } })))
        .code,
    ).toBe('E_UNKNOWN_COMPONENT')
    const other = await refusal(() =>
      applyComponentPush(bridge, ticketPush('t'), { componentAppid: 'wxsomeoneelse00001' }),
    )
    expect(other).toMatchObject({ code: 'E_UNKNOWN_COMPONENT', field: 'push.fields.AppId' })
    expect((await refusal(() => applyComponentPush(bridge, ticketPush('t'), 'x' as never))).field).toBe('options')
    expect(
      (await refusal(() => applyComponentPush(bridge, ticketPush('t'), { platform: 'qq-mp' as never }))).field,
    ).toBe('options.platform')
    const noTicket = await refusal(() =>
      applyComponentPush(bridge, { fields: { AppId: C.appid, InfoType: 'component_verify_ticket' } }),
    )
    expect(noTicket.field).toBe('push.fields.ComponentVerifyTicket')
    const noCode = await refusal(() =>
      applyComponentPush(bridge, { fields: { AppId: C.appid, InfoType: 'authorized', AuthorizerAppid: ACCOUNT } }),
    )
    expect(noCode.field).toBe('push.fields.AuthorizationCode')
    expect(await componentTicketAge(bridge, C.appid)).toBeNull()
  })

  it('other InfoTypes and unsuccessful fast registrations are ignored; an older push after a newer one is stale', async () => {
    const { fake, bridge } = await world()
    expect((await applyComponentPush(bridge, { fields: { AppId: C.appid, InfoType: 'notify_unknown' } })).action).toBe(
      'ignored',
    )
    expect(
      (
        await applyComponentPush(bridge, {
          fields: { AppId: C.appid, InfoType: 'notify_third_fasteregister', status: '89249' },
        })
      ).action,
    ).toBe('ignored')
    const now = Math.floor(Date.now() / 1000)
    const { ticket: newer } = await fake.pushTicket(C.appid)
    const { ticket: older } = await fake.pushTicket(C.appid)
    expect((await applyComponentPush(bridge, ticketPush(newer, now))).action).toBe('ticket-stored')
    expect((await applyComponentPush(bridge, ticketPush(older, now - 600))).action).toBe('ticket-stale')
    expect((await bridge.credential(componentVerifyTicket).get({ componentAppid: C.appid }))!.ticket).toBe(newer)
    // A push without CreateTime is stamped now.
    const { ticket: unstamped } = await fake.pushTicket(C.appid)
    const applied = await applyComponentPush(bridge, {
      fields: { AppId: C.appid, InfoType: 'component_verify_ticket', ComponentVerifyTicket: unstamped },
    })
    expect(applied.action).toBe('ticket-stored')
    expect(await componentTicketAge(bridge, C.appid)).toBeLessThan(5)
  })

  it('a fast-registered mini program (status 0, auth_code) is authorised and stored under weixin-mp', async () => {
    const { fake, bridge, events } = await world()
    await applyComponentPush(bridge, ticketPush((await fake.pushTicket(C.appid)).ticket))
    const { authorizationCode } = await fake.authorize(C.appid, ACCOUNT)
    const outcome = await applyComponentPush(bridge, {
      fields: {
        AppId: C.appid,
        InfoType: 'notify_third_fasteregister',
        status: '0',
        appid: ACCOUNT,
        auth_code: authorizationCode,
      },
    })
    expect(outcome).toMatchObject({ action: 'authorized', authorizerAppid: ACCOUNT })
    expect(await bridge.getAccessToken({ appid: ACCOUNT, platform: 'weixin-mp' })).not.toBeNull()
    expect(fake.calls('authorizer_token')).toBe(0)
    expect(events.map((e) => e.type)).toContain('authorized')
  })
})

describe('tokens and helpers', () => {
  it('a component token the platform rejects (40001) is replaced once and the call made again', async () => {
    const { fake, bridge } = await world()
    await applyComponentPush(bridge, ticketPush((await fake.pushTicket(C.appid)).ticket))
    const { authorizationCode } = await fake.authorize(C.appid, ACCOUNT)
    await exchangeAuthorizationCode(bridge, { componentAppid: C.appid, authorizationCode, platform: 'weixin-h5' })
    expect(fake.calls('component_token')).toBe(1)
    const held = (await bridge.credential(componentAccessToken).get({ componentAppid: C.appid }))!
    fake.revokeToken(held.component_access_token)
    expect(await listAuthorizers(bridge, C.appid)).toHaveLength(1)
    expect(fake.calls('component_token')).toBe(2)
  })

  it('every held ticket past 12 h: E_COMPONENT_TICKET_EXPIRED, and no api_component_token call', async () => {
    const { fake, bridge } = await world()
    const { ticket } = await fake.pushTicket(C.appid)
    // Stored directly with an old CreateTime (as a tier restored from a backup would hold it).
    await bridge
      .credential(componentVerifyTicket)
      .set({ componentAppid: C.appid }, { ticket, createTime: Math.floor(Date.now() / 1000) - 13 * 3600 }, 60)
    const error = await refusal(bridge.credential(componentAccessToken).get({ componentAppid: C.appid }))
    expect(error.code).toBe('E_COMPONENT_TICKET_EXPIRED')
    expect(error.message).not.toContain(ticket)
    expect(fake.calls('component_token')).toBe(0)
    expect(await componentTicketAge(bridge, C.appid)).toBeGreaterThan(12 * 3600)
  })

  it('helper arguments are checked before anything is spent', async () => {
    const { fake, bridge } = await world()
    expect((await refusal(() => authorizationPageUrl(bridge, null as never))).field).toBe('input')
    expect(
      (await refusal(() => authorizationPageUrl(bridge, { componentAppid: C.appid, redirectUri: 'not a url' }))).field,
    ).toBe('redirectUri')
    expect(fake.calls('create_preauthcode')).toBe(0)
    expect((await refusal(() => exchangeAuthorizationCode(bridge, null as never))).field).toBe('input')
    expect(
      (await refusal(() => exchangeAuthorizationCode(bridge, { componentAppid: C.appid, authorizationCode: '' })))
        .field,
    ).toBe('authorizationCode')
    expect(
      (
        await refusal(() =>
          exchangeAuthorizationCode(bridge, {
            componentAppid: C.appid,
            authorizationCode: 'c',
            platform: 'qq-mp' as never,
          }),
        )
      ).field,
    ).toBe('platform')
    expect((await refusal(() => authorizerState(bridge, ''))).field).toBe('authorizerAppid')
    expect((await refusal(() => rebuildAuthorizers(bridge, C.appid, { concurrency: 0 }))).field).toBe(
      'options.concurrency',
    )
    expect((await refusal(() => onOpenPlatformEvent(bridge, 'x' as never))).field).toBe('listener')
    expect(fake.calls('query_auth')).toBe(0)
  })

  it('a listener that throws breaks nothing; an unsubscribed one hears nothing more', async () => {
    const { fake, bridge, events } = await world()
    const heard: string[] = []
    onOpenPlatformEvent(bridge, () => {
      throw new Error('listener bug')
    })
    const off = onOpenPlatformEvent(bridge, (event) => heard.push(event.type))
    expect((await applyComponentPush(bridge, ticketPush((await fake.pushTicket(C.appid)).ticket))).action).toBe(
      'ticket-stored',
    )
    off()
    await applyComponentPush(bridge, ticketPush((await fake.pushTicket(C.appid)).ticket))
    expect(heard).toEqual(['ticket-stored'])
    expect(events.filter((e) => e.type === 'ticket-stored')).toHaveLength(2)
  })
})
