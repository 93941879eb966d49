/**
 * The source against core's coordination API: why it is called (`ctx.reason`) decides whether a stable token is
 * forced, compare-and-refresh replaces a rejected token once, and `ctx.signal` ends platform calls and retries.
 */
import { createBridge, memoryStore } from '@open-bridge/core'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { H5, MP, QQ, startWorld, type World, h5Key, mpKey } from './support.js'

const business = async (fake: FakeWeChat, token: string) =>
  ((await (await fetch(`${fake.url}/fake/business?access_token=${token}`)).json()) as { errcode: number }).errcode

let world: World | undefined
afterEach(async () => {
  await world?.close()
  world = undefined
})

describe('stable tokens: force_refresh only on a confirmed rejection', () => {
  it('refreshAccessToken(key, { ifValue }) of the stored token forces a new one; the old one is dead', async () => {
    world = await startWorld()
    const { bridge, fake } = world
    const first = (await bridge.getAccessToken(mpKey))!.access_token
    const second = (await bridge.refreshAccessToken(mpKey, { ifValue: first }))!.access_token
    expect(second).not.toBe(first)
    expect(await business(fake, first)).toBe(40001)
    expect(await business(fake, second)).toBe(0)
    expect(fake.calls('stable_token')).toBe(2)
    expect(fake.tokensIssued()).toBe(2)
    // Reporting the dead token again changes nothing: the stored one is no longer it.
    expect((await bridge.refreshAccessToken(mpKey, { ifValue: first }))!.access_token).toBe(second)
    expect(fake.calls('stable_token')).toBe(2)
  })

  it('a refresh-ahead never forces: the platform hands back the same token, which stays valid', async () => {
    const fake = await startFakeWeChat({ apps: [MP, H5, QQ] })
    // Every hit is inside a refresh-ahead window as long as the token's whole life.
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ platform: 'weixin-mp', ...MP }],
      source: wechatSource({ baseUrl: fake.url, retry: { retries: 0 } }),
      refreshAhead: 7_200_000,
    })
    try {
      const token = (await bridge.getAccessToken(mpKey))!.access_token
      for (let i = 0; i < 5; i++) {
        expect((await bridge.getAccessToken(mpKey))!.access_token).toBe(token)
        await sleep(30)
      }
      await sleep(100)
      expect(fake.calls('stable_token')).toBeGreaterThanOrEqual(2)
      expect(fake.tokensIssued()).toBe(1)
      expect(await business(fake, token)).toBe(0)
    } finally {
      await bridge.close()
      await fake.close()
    }
  })

  it('tickets rejected for a dead stable token: one forced token call for every ticket that reported it', async () => {
    world = await startWorld({ source: { accessTokenMode: { 'weixin-h5': 'stable' } } })
    const { bridge, fake } = world
    const token = (await bridge.getAccessToken(h5Key))!.access_token
    expect(fake.revokeToken(token)).toBe(true)
    const [jsapi, card] = await Promise.all([
      bridge.getTicket(h5Key),
      bridge.getTicket({ ...h5Key, ticketType: 'wx_card' }),
    ])
    expect(jsapi!.ticket).toMatch(/^TICKET_jsapi_/)
    expect(card!.ticket).toMatch(/^TICKET_wx_card_/)
    expect(fake.calls('stable_token')).toBe(2)
    expect(fake.calls('getticket')).toBe(4)
    expect((await bridge.getAccessToken(h5Key))!.access_token).not.toBe(token)
  })
})

describe('ctx.signal', () => {
  it("the bridge's fetch deadline ends the platform call and its retries", async () => {
    const fake = await startFakeWeChat({ apps: [MP] })
    fake.startOutage({ status: 503 }, ['stable_token'])
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ platform: 'weixin-mp', ...MP }],
      // Without the signal, the source would go on retrying for 5 × 400 ms after the deadline.
      source: wechatSource({ baseUrl: fake.url, retry: { retries: 5, minDelayMs: 400, maxDelayMs: 400 } }),
      fetchTimeout: 300,
    })
    try {
      await expect(bridge.getAccessToken(mpKey)).rejects.toMatchObject({ code: 'E_FETCH_TIMEOUT' })
      // A (jittered) retry sent just before the deadline may reach the fake only after the caller was answered.
      await sleep(300)
      const atDeadline = fake.calls('stable_token')
      expect(atDeadline).toBeGreaterThanOrEqual(1)
      await sleep(2_500)
      expect(fake.calls('stable_token')).toBe(atDeadline)
    } finally {
      await bridge.close()
      await fake.close()
    }
  })

  it('close() aborts a hung token call: the caller is answered at once, not after the platform', async () => {
    const fake = await startFakeWeChat({ apps: [MP], latencyMs: { stable_token: 5_000 } })
    const source = wechatSource({ baseUrl: fake.url })
    const bridge = createBridge({ stores: [memoryStore()], apps: [{ platform: 'weixin-mp', ...MP }], source })
    try {
      const pending = bridge.getAccessToken(mpKey)
      pending.catch(() => undefined)
      while (fake.calls('stable_token') === 0) await sleep(10)
      const started = Date.now()
      await bridge.close()
      await expect(pending).rejects.toMatchObject({ code: 'E_CLOSED' })
      expect(Date.now() - started).toBeLessThan(1_000)
    } finally {
      await bridge.close()
      await fake.close()
    }
  })
})
