import { createBridge, memoryStore } from '@open-bridge/core'
import { everyRendering } from '@open-bridge/core/testing'
import {
  code2Session,
  DEFAULT_SESSION_KEY_TTL_SECONDS,
  isWechatError,
  resetSessionKey,
  wechatSource,
  type WechatSourceOptions,
} from '@open-bridge/wechat-fetchers'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort } from '../../../test-support/redis-server.js'
import { MP, mpKey, startWorld, type World } from './support.js'

let world: World | undefined
afterEach(async () => {
  await world?.close()
  world = undefined
})

const refusal = (options: unknown): unknown => {
  try {
    wechatSource(options as WechatSourceOptions)
  } catch (error) {
    return error
  }
  return undefined
}

describe('wechatSource options never fall back silently nor leak', () => {
  it.each<[string, unknown, string]>([
    ['a number', 42, 'baseUrl'],
    ['null', null, 'baseUrl'],
    ['an array', ['http://127.0.0.1:1'], 'baseUrl'],
    ['a URL object', new URL('http://127.0.0.1:1'), 'baseUrl'],
    ['a mistyped host key', { wexin: 'http://127.0.0.1:1' }, 'baseUrl.wexin'],
    ['a non-string host', { weixin: 42 }, 'baseUrl.weixin'],
    ['another scheme', 'ftp://proxy.internal', 'baseUrl'],
    ['a query', 'http://proxy.internal/?token=Proxy-pw-9', 'baseUrl'],
    ['a bad port', 'http://user:Proxy-pw-9@proxy.internal:99999', 'baseUrl'],
  ])('baseUrl as %s is E_INVALID_ARGUMENT naming the field, never quoting it', (_, baseUrl, field) => {
    const error = refusal({ baseUrl })
    expect(isWechatError(error, 'E_INVALID_ARGUMENT')).toBe(true)
    expect(error).toMatchObject({ field })
    expect(everyRendering(error)).not.toContain('Proxy-pw-9')
    expect(everyRendering(error)).not.toContain('proxy.internal')
  })

  it.each([{}, 'agent', { dispatch: 1 }, null])('dispatcher %j is refused at creation', (dispatcher) => {
    expect(refusal({ dispatcher })).toMatchObject({ code: 'E_INVALID_ARGUMENT', field: 'dispatcher' })
  })

  it('a real undici Agent is accepted as dispatcher', async () => {
    const agent = new Agent()
    const source = wechatSource({ dispatcher: agent })
    await source.close()
    await agent.close()
  })

  it.each([
    ['timeouts.connectMs', { timeouts: { connectMs: 2 ** 31 } }],
    ['timeouts.headersMs', { timeouts: { headersMs: 1e12 } }],
    ['timeouts.bodyMs', { timeouts: { bodyMs: Number.MAX_SAFE_INTEGER } }],
    ['retry.maxDelayMs', { retry: { maxDelayMs: 2 ** 31 } }],
  ])('%s beyond what a Node timer holds is refused', (field, options) => {
    expect(refusal(options)).toMatchObject({ code: 'E_INVALID_ARGUMENT', field })
  })

  it('credentials inside a proxy baseUrl are masked in the errors of failed calls', async () => {
    const port = await freePort()
    const source = wechatSource({ baseUrl: `http://proxyuser:Proxy-pw-9@127.0.0.1:${port}`, retry: { retries: 0 } })
    const bridge = createBridge({ stores: [memoryStore()], apps: [{ platform: 'weixin-mp', ...MP }], source })
    const errors: unknown[] = []
    bridge.on('fetch-error', (event) => void errors.push(event))
    const error = await bridge.getAccessToken(mpKey).catch((e: unknown) => e)
    errors.push(error)
    expect(error).toMatchObject({ code: 'E_HTTP' })
    expect((error as { url?: string }).url).toContain('***@127.0.0.1')
    for (const item of errors) {
      const shown = everyRendering(item)
      expect(shown).not.toContain('Proxy-pw-9')
      expect(shown).not.toContain(MP.secret)
    }
    await bridge.close()
  })
})

describe('session keys do not live for ever by default', () => {
  it(`code2Session and resetSessionKey store the session_key for ${DEFAULT_SESSION_KEY_TTL_SECONDS} s (3 days) unless told otherwise`, async () => {
    const tier = memoryStore()
    world = await startWorld()
    const { fake } = world
    const source = wechatSource({ baseUrl: fake.url })
    const bridge = createBridge({ stores: [tier], apps: [{ platform: 'weixin-mp', ...MP }], source })
    const storageKey = `uni-id:weixin-mp:${MP.appid}:o-ttl:session-key`
    try {
      expect(DEFAULT_SESSION_KEY_TTL_SECONDS).toBe(3 * 24 * 3600)
      const before = Date.now()
      await code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-ttl' }))
      const expiresAt = (await tier.get(storageKey))?.expiresAt
      expect(expiresAt).toBeGreaterThanOrEqual(before + DEFAULT_SESSION_KEY_TTL_SECONDS * 1000)
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + DEFAULT_SESSION_KEY_TTL_SECONDS * 1000)

      await resetSessionKey(bridge, { ...mpKey, openid: 'o-ttl' })
      expect((await tier.get(storageKey))?.expiresAt).toBeGreaterThanOrEqual(
        before + DEFAULT_SESSION_KEY_TTL_SECONDS * 1000,
      )

      await code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-ttl' }), {
        sessionKeyTtlSeconds: -1,
      })
      expect((await tier.get(storageKey))?.expiresAt).toBeNull()
      await code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-ttl' }), {
        sessionKeyTtlSeconds: 60,
      })
      expect((await tier.get(storageKey))?.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000)
    } finally {
      await bridge.close()
    }
  })
})
