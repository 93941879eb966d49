/**
 * The SDK glue with the real SDKs (wechat-api 1.35.1, co-wechat-api 3.11.0, dev dependencies) against the fake
 * WeChat over HTTP. A "deployment" is several bridges — one per process — sharing one tier with a lock, each
 * with an SDK instance of its own: the platform must see one token fetch per rotation for all of them, the SDK
 * none of its own, and a token revoked at the platform must be recovered by the SDK's own retry.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import {
  createBridge,
  memoryStore,
  type CredentialBridge,
  type CredentialStore,
  type StoredRecord,
} from '@open-bridge/core'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { bridgeCoWechatApi, bridgeWechatApi, coWechatApiHooks, wechatApiHooks } from '@open-bridge/wechat-fetchers/sdk'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
type Callback = (error: unknown, result?: unknown) => void
interface WechatApi {
  endpoint: string
  getIp(callback: Callback): void
  getJsConfig(param: object, callback: Callback): void
  getLatestToken(callback: Callback): void
}
interface CoWechatApi {
  prefix: string
  getIp(): Promise<unknown>
  getJsConfig(param: object): Promise<{ signature: string; nonceStr: string; timestamp: string }>
}
const WechatAPI = require('wechat-api') as new (appid: string, secret: string) => WechatApi
const CoWechatAPI = require('co-wechat-api') as new (appid: string, secret: string) => CoWechatApi

const OA = { appid: 'wxofficial0000001', secret: 'oa-secret-7c1d2e3f4a5b6c7d' }
const key = { dcloudAppid: '__UNI__SDK', platform: 'weixin-h5' } as const
const PROCESSES = 4

/** The tier the processes share, with a lock: what Redis or SQLite is in a real deployment. */
function sharedTier(): CredentialStore {
  const records = new Map<string, StoredRecord>()
  const locks = new Map<string, { token: string; until: number }>()
  const live = (record: StoredRecord | undefined) =>
    record !== undefined && (record.expiresAt === null || record.expiresAt > Date.now()) ? record : undefined
  return {
    name: 'shared',
    get: async (k) => live(records.get(k)),
    set: async (k, record) => void records.set(k, record),
    delete: async (k) => void records.delete(k),
    close: async () => undefined,
    lock: {
      acquire: async (name, token, ttl) => {
        const held = locks.get(name)
        if (held !== undefined && held.until > Date.now() && held.token !== token) return false
        locks.set(name, { token, until: Date.now() + ttl })
        return true
      },
      extend: async (name, token, ttl) => {
        const held = locks.get(name)
        if (held?.token !== token) return false
        held.until = Date.now() + ttl
        return true
      },
      release: async (name, token) => locks.get(name)?.token === token && locks.delete(name),
    },
  }
}

let fake: FakeWeChat
let bridges: CredentialBridge[]
beforeEach(async () => {
  fake = await startFakeWeChat({ apps: [OA] })
  const shared = sharedTier()
  bridges = Array.from({ length: PROCESSES }, () =>
    createBridge({
      stores: [memoryStore({ maxTtl: 60_000 }), shared],
      apps: [{ ...key, ...OA }],
      source: wechatSource({ baseUrl: fake.url, retry: { retries: 0 } }),
    }),
  )
})
afterEach(async () => {
  await Promise.all(bridges.map((bridge) => bridge.close()))
  await fake.close()
})

const tokenCalls = () => fake.calls('token') + fake.calls('stable_token')
const callback = <T>(run: (done: Callback) => void): Promise<T> =>
  new Promise((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result as T))))

/** jsapi signature as WeChat checks it. */
const signatureOf = (ticket: string, nonce: string, timestamp: string, url: string) =>
  createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=${nonce}&timestamp=${timestamp}&url=${url}`).digest('hex')

describe('wechat-api (callbacks): bridgeWechatApi', () => {
  function apis(): WechatApi[] {
    return bridges.map((bridge) => {
      // No secret: the SDK has nothing to fetch with.
      const api = bridgeWechatApi(new WechatAPI(OA.appid, '') as never, bridge, key) as unknown as WechatApi
      api.endpoint = fake.url
      return api
    })
  }

  it('business calls from every process: one token fetch for the deployment, none by the SDK', async () => {
    const sdk = apis()
    const answers = await Promise.all(
      sdk.flatMap((api) => [1, 2, 3].map(() => callback<{ ip_list: string[] }>((done) => api.getIp(done)))),
    )
    expect(answers.every((answer) => answer.ip_list[0] === '127.0.0.1')).toBe(true)
    expect(tokenCalls()).toBe(1)
  })

  it('a token revoked at the platform: the SDK’s own 40001 retry recovers, with one new token for everyone', async () => {
    const sdk = apis()
    await Promise.all(sdk.map((api) => callback((done) => api.getIp(done))))
    const dead = (await bridges[0]!.getAccessToken(key))!.access_token
    expect(fake.revokeToken(dead)).toBe(true)
    const issued = fake.tokensIssued()
    const answers = await Promise.all(sdk.map((api) => callback<{ ip_list: string[] }>((done) => api.getIp(done))))
    expect(answers.every((answer) => answer.ip_list.length === 1)).toBe(true)
    expect(fake.tokensIssued()).toBe(issued + 1)
    const fresh = (await bridges[3]!.getAccessToken(key))!.access_token
    expect(fresh).not.toBe(dead)
    expect(fake.isTokenValid(fresh)).toBe(true)
  })

  it('42001 (expired), which the SDK alone does not retry, is retried once after a compare-and-refresh', async () => {
    const [api] = apis()
    await callback((done) => api!.getIp(done))
    fake.inject('getcallbackip', { errcode: 42001, errmsg: 'access_token expired' })
    const issued = fake.tokensIssued()
    expect(await callback<{ ip_list: string[] }>((done) => api!.getIp(done))).toEqual({ ip_list: ['127.0.0.1'] })
    expect(fake.tokensIssued()).toBe(issued + 1)
    // Rejected again after the retry: the error reaches the caller, no third attempt.
    fake.inject('getcallbackip', { errcode: 42001 }, 2)
    await expect(callback((done) => api!.getIp(done))).rejects.toMatchObject({ code: 42001 })
    expect(fake.calls('getcallbackip')).toBe(5)
  })

  it('JS-SDK config in every process: one getticket call, signatures WeChat accepts', async () => {
    const sdk = apis()
    const url = 'https://shop.example.com/page'
    const configs = await Promise.all(
      sdk.flatMap((api) =>
        [1, 2].map(() =>
          callback<{ signature: string; nonceStr: string; timestamp: string }>((done) =>
            api.getJsConfig({ url, jsApiList: ['chooseImage'] }, done),
          ),
        ),
      ),
    )
    const { ticket } = (await bridges[0]!.getTicket(key))!
    for (const c of configs) expect(c.signature).toBe(signatureOf(ticket, c.nonceStr, c.timestamp, url))
    expect(fake.calls('getticket')).toBe(1)
    expect(tokenCalls()).toBe(1)
  })

  it('the token hook hands the SDK the expiry the bridge holds', async () => {
    const hooks = wechatApiHooks(bridges[0]!, key)
    const token = await callback<{ accessToken: string; expireTime: number }>((done) => hooks.getToken(done))
    const record = await bridges[0]!.getRecord('access_token', key)
    expect(token).toEqual({ accessToken: record!.value.access_token, expireTime: record!.expiresAt })
    const ticket = await callback<{ ticket: string; expireTime: number }>((done) => hooks.getTicketToken('jsapi', done))
    expect(ticket.expireTime).toBe((await bridges[0]!.getRecord('ticket', key))!.expiresAt)
  })

  it('getLatestToken and a bridge with nothing to fetch from: E_NO_CREDENTIAL, never a fetch by the SDK', async () => {
    const empty = createBridge({ stores: [memoryStore()], apps: [{ ...key, ...OA }] })
    const api = bridgeWechatApi(new WechatAPI(OA.appid, OA.secret) as never, empty, key) as unknown as WechatApi
    api.endpoint = fake.url
    await expect(callback((done) => api.getLatestToken(done))).rejects.toMatchObject({ code: 'E_NO_CREDENTIAL' })
    await expect(callback((done) => api.getIp(done))).rejects.toMatchObject({ code: 'E_NO_CREDENTIAL' })
    expect(tokenCalls()).toBe(0)
    await empty.close()
  })

  it('refuses what is not a wechat-api instance, and a key the bridge refuses', () => {
    expect(() => bridgeWechatApi({} as never, bridges[0]!, key)).toThrow(/wechat-api instance/)
    expect(() => wechatApiHooks(bridges[0]!, { platform: 'weixin-h5' } as never)).toThrow(/dcloudAppid or key.appid/)
  })
})

describe('co-wechat-api (async): bridgeCoWechatApi', () => {
  function apis(): CoWechatApi[] {
    return bridges.map((bridge) => {
      const api = bridgeCoWechatApi(new CoWechatAPI(OA.appid, '') as never, bridge, key) as unknown as CoWechatApi
      api.prefix = `${fake.url}/cgi-bin/`
      return api
    })
  }

  it('business calls from every process: one token fetch for the deployment, none by the SDK', async () => {
    const sdk = apis()
    const answers = await Promise.all(sdk.flatMap((api) => [1, 2, 3].map(() => api.getIp())))
    expect(answers).toHaveLength(PROCESSES * 3)
    expect(tokenCalls()).toBe(1)
  })

  it('a token revoked at the platform: the SDK’s own 40001 retry recovers, with one new token for everyone', async () => {
    const sdk = apis()
    await Promise.all(sdk.map((api) => api.getIp()))
    const dead = (await bridges[0]!.getAccessToken(key))!.access_token
    fake.revokeToken(dead)
    const issued = fake.tokensIssued()
    const answers = (await Promise.all(sdk.map((api) => api.getIp()))) as Array<{ ip_list: string[] }>
    expect(answers.every((answer) => answer.ip_list[0] === '127.0.0.1')).toBe(true)
    expect(fake.tokensIssued()).toBe(issued + 1)
  })

  it('42001 goes through the same compare-and-refresh (the SDK retries it too)', async () => {
    const [api] = apis()
    await api!.getIp()
    fake.inject('getcallbackip', { errcode: 42001, errmsg: 'access_token expired' })
    const issued = fake.tokensIssued()
    expect(await api!.getIp()).toEqual({ ip_list: ['127.0.0.1'] })
    expect(fake.tokensIssued()).toBe(issued + 1)
  })

  it('JS-SDK config in every process: one getticket call per rotation', async () => {
    const sdk = apis()
    const url = 'https://shop.example.com/co'
    const round = () => Promise.all(sdk.flatMap((api) => [1, 2].map(() => api.getJsConfig({ url, jsApiList: [] }))))
    const first = await round()
    const ticket = (await bridges[0]!.getTicket(key))!.ticket
    for (const c of first) expect(c.signature).toBe(signatureOf(ticket, c.nonceStr, c.timestamp, url))
    expect(fake.calls('getticket')).toBe(1)
    // The ticket's end, everywhere at once (each process's copy and the shared tier): the next round fetches once.
    for (const bridge of bridges) await bridge.removeTicket(key)
    const second = await round()
    const next = (await bridges[2]!.getTicket(key))!.ticket
    for (const c of second) expect(c.signature).toBe(signatureOf(next, c.nonceStr, c.timestamp, url))
    expect(fake.calls('getticket')).toBe(2)
  })

  it('the async hooks: expiry from the bridge; saveToken(null) then getAccessToken is a compare-and-refresh', async () => {
    const hooks = coWechatApiHooks(bridges[0]!, key)
    const token = await hooks.getToken()
    expect(token?.expireTime).toBe((await bridges[0]!.getRecord('access_token', key))!.expiresAt)
    expect((await hooks.getTicketToken())?.ticket).toBe((await bridges[0]!.getTicket(key))!.ticket)
    const api = bridgeCoWechatApi(new CoWechatAPI(OA.appid, '') as never, bridges[1]!, key) as unknown as {
      saveToken(token: unknown): Promise<void>
      getAccessToken(): Promise<{ accessToken: string }>
    }
    const issued = fake.tokensIssued()
    await api.saveToken(null)
    const renewed = await api.getAccessToken()
    expect(renewed.accessToken).not.toBe(token?.accessToken)
    expect(fake.tokensIssued()).toBe(issued + 1)
    // Without a rejection, getAccessToken is a read: no fetch.
    expect((await api.getAccessToken()).accessToken).toBe(renewed.accessToken)
    expect(fake.tokensIssued()).toBe(issued + 1)
  })
})

describe('the hooks on their own: what the SDK saves, ticket types, nothing to fetch from', () => {
  const plain = () => createBridge({ stores: [memoryStore()], apps: [{ ...key, ...OA }] })

  it('a token or ticket the SDK saves is kept with the life it has left; anything else is ignored', async () => {
    const bridge = plain()
    const hooks = wechatApiHooks(bridge, key)
    const expireTime = Date.now() + 600_000
    await callback((done) => hooks.saveToken({ accessToken: 'SDK-T', expireTime }, done))
    await callback((done) => hooks.saveToken({ accessToken: '', expireTime }, done))
    await callback((done) => hooks.saveToken({ accessToken: 'OLD', expireTime: Date.now() - 1 }, done))
    const record = await bridge.getRecord('access_token', key)
    expect(record?.value).toEqual({ access_token: 'SDK-T' })
    expect(Math.abs(record!.expiresAt! - expireTime)).toBeLessThanOrEqual(1_000)
    // wechat-api's older two-argument form is a jsapi ticket; a wx_card ticket is kept apart.
    await callback((done) => hooks.saveTicketToken({ ticket: 'JS', expireTime }, done as never, undefined))
    await callback((done) => hooks.saveTicketToken('wx_card', { ticket: 'CARD', expireTime }, done))
    expect(await bridge.getTicket(key)).toEqual({ ticket: 'JS' })
    expect(await bridge.getTicket({ ...key, ticketType: 'wx_card' })).toEqual({ ticket: 'CARD' })
    expect(await callback((done) => hooks.getTicketToken(done as never))).toMatchObject({ ticket: 'JS' })
    await expect(callback((done) => hooks.getTicketToken('other', done))).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    })
    const co = coWechatApiHooks(bridge, key)
    await co.saveTicketToken({ ticket: 'JS2', expireTime })
    expect((await co.getTicketToken('jsapi'))?.ticket).toBe('JS2')
    await co.saveToken({ accessToken: 'CO-T', expireTime })
    expect((await co.getToken())?.accessToken).toBe('CO-T')
    await bridge.close()
  })

  it('with nothing stored and no source: the SDK’s fetches and its retry are E_NO_CREDENTIAL', async () => {
    const bridge = plain()
    const api = bridgeCoWechatApi(new CoWechatAPI(OA.appid, '') as never, bridge, key) as unknown as {
      getToken(): Promise<unknown>
      saveToken(token: unknown): Promise<void>
      getAccessToken(): Promise<unknown>
      getTicket(type?: string): Promise<unknown>
    }
    expect(await api.getToken()).toBeNull()
    await expect(api.getAccessToken()).rejects.toMatchObject({ code: 'E_NO_CREDENTIAL' })
    await expect(api.getTicket()).rejects.toMatchObject({ code: 'E_NO_CREDENTIAL' })
    await api.saveToken(null)
    await expect(api.getAccessToken()).rejects.toMatchObject({ code: 'E_NO_SOURCE' })
    const wapi = bridgeWechatApi(new WechatAPI(OA.appid, '') as never, bridge, key) as unknown as {
      getTicket(type: unknown, done?: Callback): void
    }
    await expect(callback((done) => wapi.getTicket('wx_card', done))).rejects.toMatchObject({ code: 'E_NO_CREDENTIAL' })
    await expect(callback((done) => wapi.getTicket(done))).rejects.toMatchObject({ code: 'E_NO_CREDENTIAL' })
    expect(() => bridgeCoWechatApi({} as never, bridge, key)).toThrow(/co-wechat-api instance/)
    expect(() => coWechatApiHooks({} as never, key)).toThrow(/createBridge/)
    await bridge.close()
  })
})
