import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { createBridge, memoryStore, type BridgeEvents } from '@open-bridge/core'
import { afterEach, describe, expect, it } from 'vitest'
import {
  categoryOf,
  isWechatError,
  PlatformApiError,
  type WechatError,
  wechatSource,
} from '@open-bridge/wechat-fetchers'
import { H5, MP, startWorld, type World, h5Key, mpKey } from './support.js'

let world: World | undefined
afterEach(async () => {
  await world?.close()
  world = undefined
})

/** Everything an error could show: message, stack, JSON, inspect, and the same for every cause. */
function everythingShown(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 20, showHidden: true }), JSON.stringify(error)]
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    parts.push(e.message, e.stack ?? '', JSON.stringify(e), inspect(e, { depth: 20 }))
  return parts.join('\n')
}

/** A bridge whose configured secret is not the one the fake knows. */
async function wrongSecretWorld(): Promise<{ world: World; bridge: ReturnType<typeof createBridge>; secret: string }> {
  const w = await startWorld()
  const secret = 'WRONG-secret-do-not-leak-4d3c2b1a'
  const bridge = createBridge({
    stores: [memoryStore()],
    apps: [
      { platform: 'weixin-mp', appid: MP.appid, secret },
      { platform: 'weixin-h5', appid: H5.appid, secret },
    ],
    source: w.source,
  })
  return { world: w, bridge, secret }
}

describe('platform errors', () => {
  it.each([
    ['stable_token (secret in the JSON body)', mpKey, 'stable_token'],
    ['classic token (secret in the URL)', h5Key, 'token'],
  ] as const)(
    'a wrong secret via %s: 40125, category config, one call, and the secret is nowhere',
    async (_name, key, endpoint) => {
      const setup = await wrongSecretWorld()
      world = setup.world
      const events: BridgeEvents['fetch-error'][] = []
      setup.bridge.on('fetch-error', (event) => events.push(event))
      const error = await setup.bridge.getAccessToken(key).catch((e: unknown) => e)

      expect(error).toBeInstanceOf(PlatformApiError)
      expect(error).toMatchObject({ code: 'E_PLATFORM_API', errcode: 40125, category: 'config', appid: key.appid })
      expect(world.fake.calls(endpoint)).toBe(1)
      const shown = everythingShown(error) + inspect(events, { depth: 20 })
      expect(shown).toContain(key.appid)
      expect(shown).not.toContain(setup.secret)
      expect(events).toHaveLength(1)
      if (endpoint === 'token') expect((error as PlatformApiError).url).toContain('secret=***')
    },
  )

  it('40001 from a token endpoint means a wrong secret: category config, no retry, no loop', async () => {
    world = await startWorld()
    world.fake.inject('stable_token', { errcode: 40001, errmsg: 'invalid credential' }, 5)
    await expect(world.bridge.getAccessToken(mpKey)).rejects.toMatchObject({ errcode: 40001, category: 'config' })
    expect(world.fake.calls('stable_token')).toBe(1)
  })

  it("a platform errmsg that echoes the secret is masked in the error's errmsg and message", async () => {
    world = await startWorld()
    world.fake.inject('stable_token', { errcode: 40125, errmsg: `invalid appsecret ${MP.secret} rid: 1` }, 1)
    const error = await world.bridge.getAccessToken(mpKey).catch((e: unknown) => e)
    expect(error).toMatchObject({ errcode: 40125, errmsg: 'invalid appsecret *** rid: 1' })
    expect(everythingShown(error)).not.toContain(MP.secret)
  })

  it('45009 (quota) is not retried', async () => {
    world = await startWorld({ fake: { quotas: { token: 0 } } })
    await expect(world.bridge.getAccessToken(h5Key)).rejects.toMatchObject({ errcode: 45009, category: 'quota' })
    expect(world.fake.calls('token')).toBe(1)
  })

  it('the errcode table gives each documented code its category', () => {
    const expected = {
      'token-invalid': [40001, 40014, 42001],
      transient: [-1, 45011],
      config: [40013, 40125, 40164, 40243, 48001, 41001],
      'ip-confirm': [89503, 89501, 89506, 89507],
      quota: [45009],
      user: [40029, 40163, 42003, 87009, 40030, 42002],
    }
    for (const [category, codes] of Object.entries(expected))
      for (const code of codes) expect(categoryOf(code)).toBe(category)
    expect(categoryOf(40001, true)).toBe('config')
    expect(categoryOf(123456)).toBe('config')
  })
})

describe('retries', () => {
  it('-1 twice, then success: retried, three calls', async () => {
    world = await startWorld()
    world.fake.inject('stable_token', { errcode: -1, errmsg: 'system error' }, 2)
    expect(await world.bridge.getAccessToken(mpKey)).toHaveProperty('access_token')
    expect(world.fake.calls('stable_token')).toBe(3)
  })

  it('45011 and HTTP 5xx are retried too', async () => {
    world = await startWorld()
    world.fake.inject('token', { errcode: 45011 })
    world.fake.inject('token', { status: 502 })
    expect(await world.bridge.getAccessToken(h5Key)).toHaveProperty('access_token')
    expect(world.fake.calls('token')).toBe(3)
  })

  it('retries are bounded: the last transient error is reported', async () => {
    world = await startWorld()
    world.fake.inject('stable_token', { errcode: -1 }, 10)
    await expect(world.bridge.getAccessToken(mpKey)).rejects.toMatchObject({ errcode: -1, category: 'transient' })
    expect(world.fake.calls('stable_token')).toBe(3)
  })

  it('a timeout is retried, then reported as E_TIMEOUT without the secret', async () => {
    world = await startWorld({ fake: { latencyMs: { token: 10_000 } }, source: { timeouts: { headersMs: 150 } } })
    const error = await world.bridge.getAccessToken(h5Key).catch((e: unknown) => e)
    expect(isWechatError(error, 'E_TIMEOUT')).toBe(true)
    expect((error as WechatError).appid).toBe(H5.appid)
    expect(everythingShown(error)).not.toContain(H5.secret)
    await expect.poll(() => world?.fake.calls('token')).toBe(3)
  })

  it('a network error is E_HTTP after retries; its cause carries no secret', async () => {
    world = await startWorld()
    await world.fake.close()
    const error = await world.bridge.getAccessToken(h5Key).catch((e: unknown) => e)
    expect(isWechatError(error, 'E_HTTP')).toBe(true)
    expect((error as Error).cause).toBeInstanceOf(Error)
    expect(everythingShown(error)).not.toContain(H5.secret)
    expect((error as WechatError).url).toMatch(/secret=\*\*\*/)
  })

  it('an answer that is not JSON is E_HTTP and not retried', async () => {
    let hits = 0
    const server = createServer((_req, res) => {
      hits++
      res.end('<html>gateway page</html>')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const source = wechatSource({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      retry: { minDelayMs: 1, maxDelayMs: 2 },
    })
    const bridge = createBridge({ stores: [memoryStore()], apps: [{ platform: 'weixin-mp', ...MP }], source })
    try {
      await expect(bridge.getAccessToken(mpKey)).rejects.toMatchObject({ code: 'E_HTTP', status: 200 })
      expect(hits).toBe(1)
    } finally {
      await bridge.close()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
