import { createBridge, memoryStore, type CredentialSource } from '@open-bridge/core'
import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }

describe('in-process single-flight', () => {
  it('100 concurrent misses call a slow fallback once, and all get its value', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    let calls = 0
    const fallback = async () => {
      calls++
      await sleep(100)
      return { value: { access_token: `fetched-${calls}` }, duration: 7200 }
    }
    const results = await Promise.all(Array.from({ length: 100 }, () => bridge.getAccessToken(key, fallback)))
    expect(calls).toBe(1)
    expect(new Set(results.map((r) => r?.access_token))).toEqual(new Set(['fetched-1']))
    expect(await bridge.getAccessToken(key, fallback)).toEqual({ access_token: 'fetched-1' })
    expect(calls).toBe(1)
    await bridge.close()
  })

  it('a failure reaches every waiter and is not cached: the next call tries again', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    let calls = 0
    const failing = async (): Promise<never> => {
      calls++
      await sleep(50)
      throw new Error('platform unavailable')
    }
    const settled = await Promise.allSettled(Array.from({ length: 20 }, () => bridge.getAccessToken(key, failing)))
    expect(calls).toBe(1)
    expect(
      settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'platform unavailable'),
    ).toBe(true)

    const value = await bridge.getAccessToken(key, async () => {
      calls++
      return { value: { access_token: 'second try' }, duration: 60 }
    })
    expect(value).toEqual({ access_token: 'second try' })
    expect(calls).toBe(2)
    await bridge.close()
  })

  it('different keys do not share a flight', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const seen: string[] = []
    const fallback = async (k: { appid?: string }) => {
      seen.push(k.appid!)
      await sleep(20)
      return { value: { access_token: `for-${k.appid}` }, duration: 60 }
    }
    const [a, b] = await Promise.all([
      bridge.getAccessToken({ appid: 'wxA', platform: 'weixin-mp' }, fallback),
      bridge.getAccessToken({ appid: 'wxB', platform: 'weixin-mp' }, fallback),
    ])
    expect(a).toEqual({ access_token: 'for-wxA' })
    expect(b).toEqual({ access_token: 'for-wxB' })
    expect(seen.sort()).toEqual(['wxA', 'wxB'])
    await bridge.close()
  })

  it('a source gets the resolved key and the app (with its secret), once for concurrent misses', async () => {
    const calls: unknown[] = []
    const source: CredentialSource = {
      async fetch(kind, resolved, ctx) {
        calls.push({ kind, resolved, app: ctx.app, sameBridge: ctx.bridge === bridge })
        await sleep(50)
        return kind === 'access_token' ? { value: { access_token: 'from-source' } as never, expiresIn: 7200 } : null
      },
    }
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx123', secret: 'S' }],
      source,
    })
    const results = await Promise.all(
      Array.from({ length: 10 }, () => bridge.getAccessToken({ dcloudAppid: '__UNI__A', platform: 'weixin-mp' })),
    )
    expect(results.every((r) => r?.access_token === 'from-source')).toBe(true)
    expect(calls).toEqual([
      {
        kind: 'access_token',
        resolved: {
          kind: 'access_token',
          platform: 'weixin-mp',
          appid: 'wx123',
          dcloudAppid: '__UNI__A',
          openid: undefined,
          version: undefined,
          ticketType: undefined,
          storageKey: 'uni-id:weixin-mp:wx123:access-token',
        },
        app: { dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx123', secret: 'S' },
        sameBridge: true,
      },
    ])
    // A source resolving null for a kind it does not produce: the bridge answers null and stores nothing.
    expect(await bridge.getSessionKey({ appid: 'wx123', platform: 'weixin-mp', openid: 'o1' })).toBeNull()
    await bridge.close()
  })

  it('a per-call fallback wins over the source', async () => {
    let sourceCalls = 0
    const bridge = createBridge({
      stores: [memoryStore()],
      source: {
        async fetch() {
          sourceCalls++
          return { value: { access_token: 'source' } as never, expiresIn: 60 }
        },
      },
    })
    expect(
      await bridge.getAccessToken(key, async () => ({ value: { access_token: 'fallback' }, duration: 60 })),
    ).toEqual({ access_token: 'fallback' })
    expect(sourceCalls).toBe(0)
    await bridge.close()
  })

  it('a source may read another credential through ctx.bridge (a ticket needs an access_token)', async () => {
    let tokenCalls = 0
    const bridge = createBridge({
      stores: [memoryStore()],
      source: {
        async fetch(kind, resolved, ctx) {
          if (kind === 'access_token') {
            tokenCalls++
            await sleep(20)
            return { value: { access_token: 'AT' } as never, expiresIn: 7200 }
          }
          if (kind === 'ticket') {
            const token = await ctx.bridge.getAccessToken({ appid: resolved.appid, platform: resolved.platform })
            return { value: { ticket: `ticket-for-${token?.access_token}` } as never, expiresIn: 7200 }
          }
          return null
        },
      },
    })
    const h5 = { appid: 'wxh5', platform: 'weixin-h5' as const }
    const [ticket, token] = await Promise.all([bridge.getTicket(h5), bridge.getAccessToken(h5)])
    expect(ticket).toEqual({ ticket: 'ticket-for-AT' })
    expect(token).toEqual({ access_token: 'AT' })
    expect(tokenCalls).toBe(1)
    await bridge.close()
  })
})

describe('resolve() and source, for helpers beside a source', () => {
  it('resolve validates like get and returns the resolved key with the configured app', async () => {
    const source = { fetch: async () => null }
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx123', secret: 'S' }],
      source,
    })
    expect(bridge.source).toBe(source)
    const { key: resolved, ctx } = bridge.resolve('session_key', {
      dcloudAppid: '__UNI__A',
      platform: 'weixin-mp',
      openid: 'o1',
    })
    expect(resolved).toMatchObject({
      kind: 'session_key',
      appid: 'wx123',
      openid: 'o1',
      storageKey: 'uni-id:weixin-mp:wx123:o1:session-key',
    })
    expect(ctx.app?.secret).toBe('S')
    expect(ctx.bridge).toBe(bridge)
    expect(bridge.resolve('access_token', { appid: 'wxOther', platform: 'weixin-mp' }).ctx.app).toBeUndefined()
    expect(() => bridge.resolve('session_key', { dcloudAppid: '__UNI__A', platform: 'weixin-mp' } as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_KEY', field: 'key.openid' }),
    )
    await bridge.close()
    expect(() => bridge.resolve('access_token', { appid: 'wx123', platform: 'weixin-mp' })).toThrow(
      expect.objectContaining({ code: 'E_CLOSED' }),
    )
  })
})
