import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * One app, two module systems: the CommonJS and the ES module builds of core and wechat-fetchers loaded side
 * by side, as when an app `import`s the packages while a dependency `require`s them. Each build has its own
 * classes, so `instanceof` across them is false; open-bridge recognises its errors and sources by brand.
 * Needs the build (`npm run build`, which `npm test` runs first).
 */
const dist = (pkg: string, file: string) => fileURLToPath(new URL(`../packages/${pkg}/dist/${file}`, import.meta.url))
const require = createRequire(import.meta.url)

type Core = typeof import('@open-bridge/core')
type Wechat = typeof import('@open-bridge/wechat-fetchers')
type Testing = typeof import('@open-bridge/wechat-fetchers/testing')
let cjsCore: Core
let esmCore: Core
let cjsWechat: Wechat
let esmWechat: Wechat
let fake: Awaited<ReturnType<Testing['startFakeWeChat']>>

const MP = { appid: 'wxdual000000000001', secret: 'dual-secret-0123456789abcdef' }
const mpKey = { appid: MP.appid, platform: 'weixin-mp' } as const

beforeAll(async () => {
  for (const pkg of ['core', 'wechat-fetchers']) {
    if (!existsSync(dist(pkg, 'index.cjs')))
      throw new Error(`packages/${pkg} is not built: run \`npm run build\` first`)
  }
  cjsCore = require(dist('core', 'index.cjs')) as Core
  esmCore = (await import(pathToFileURL(dist('core', 'index.js')).href)) as Core
  cjsWechat = require(dist('wechat-fetchers', 'index.cjs')) as Wechat
  esmWechat = (await import(pathToFileURL(dist('wechat-fetchers', 'index.js')).href)) as Wechat
  const testing = (await import(pathToFileURL(dist('wechat-fetchers', 'testing.js')).href)) as Testing
  fake = await testing.startFakeWeChat({ apps: [MP] })
})
afterAll(async () => {
  await fake?.close()
})

describe('CJS and ESM builds side by side', () => {
  it('really are two copies (else this proves nothing)', () => {
    expect(cjsCore.BridgeError).not.toBe(esmCore.BridgeError)
    expect(cjsWechat.WechatSource).not.toBe(esmWechat.WechatSource)
  })

  it('isBridgeError and instanceof BridgeError hold for errors of the other copy, both ways', async () => {
    const fromCjs = await cjsCore
      .createBridge({ stores: [cjsCore.memoryStore()] })
      .getAccessToken({ platform: 'weixin-mp' } as never)
      .catch((e: unknown) => e)
    const fromEsm = await esmCore
      .createBridge({ stores: [esmCore.memoryStore()] })
      .getAccessToken({ platform: 'weixin-mp' } as never)
      .catch((e: unknown) => e)
    for (const [error, other] of [
      [fromCjs, esmCore],
      [fromEsm, cjsCore],
    ] as const) {
      expect(other.isBridgeError(error)).toBe(true)
      expect(other.isBridgeError(error, 'E_INVALID_KEY')).toBe(true)
      expect(error instanceof other.BridgeError).toBe(true)
    }
  })

  it('code2Session (ESM) accepts a wechatSource() built by the CJS copy, as the bridge source and as options.source', async () => {
    const cjsSource = cjsWechat.wechatSource({ baseUrl: fake.url })
    const bridge = esmCore.createBridge({
      stores: [esmCore.memoryStore()],
      apps: [{ platform: 'weixin-mp', ...MP }],
      source: cjsSource,
    })
    try {
      const info = await esmWechat.code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-dual' }))
      expect(info.openid).toBe('o-dual')
      const again = await esmWechat.code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-dual-2' }), {
        source: cjsSource,
      })
      expect(again.openid).toBe('o-dual-2')
      // A platform refusal raised by the CJS client is recognised by the ESM helper (87009 → false) and predicate.
      fake.rotateEncryptKey(MP.appid, 'o-dual')
      const userKey = { ...mpKey, openid: 'o-dual' }
      await esmWechat.code2Session(bridge, mpKey, fake.issueLoginCode(MP.appid, { openid: 'o-dual' }))
      await bridge.setSessionKey(userKey, { session_key: Buffer.alloc(16, 7).toString('base64') })
      expect(await esmWechat.checkSessionKey(bridge, userKey)).toBe(false)
      const used = await cjsWechat.code2Session(bridge as never, mpKey, 'never-issued-code').catch((e: unknown) => e)
      expect(esmWechat.isWechatError(used, 'E_PLATFORM_API')).toBe(true)
      expect(used instanceof esmWechat.PlatformApiError).toBe(true)
      expect(used instanceof esmWechat.WechatError).toBe(true)
      expect(esmCore.isBridgeError(used)).toBe(true)
    } finally {
      await bridge.close()
    }
  })

  it('a source is still told apart from a look-alike that is not one', async () => {
    const bridge = esmCore.createBridge({ stores: [esmCore.memoryStore()], apps: [{ platform: 'weixin-mp', ...MP }] })
    const error = await esmWechat
      .code2Session(bridge, mpKey, 'code', { source: { fetch: async () => null } as never })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT', field: 'options.source' })
    await bridge.close()
  })
})

describe('credential kinds across the two builds', () => {
  it('a kind registered through one build is known to the other (one registry per process)', async () => {
    const definition = {
      name: 'dual_registry_kind',
      keyFields: { id: esmCore.keyField.segment() },
      storageKey: ({ id }: { id: string }) => `dual:${id}`,
      credentialField: 'token',
    }
    const registered = cjsCore.registerKind(definition)
    expect(esmCore.kindDefinition('dual_registry_kind')).toBe(registered)
    // The ESM build's bridge reads and writes it, and registering it again there is the same kind.
    const bridge = esmCore.createBridge({ stores: [esmCore.memoryStore()] })
    await bridge.credential(definition).set({ id: 'a' }, { token: 'T' }, 60)
    expect(await bridge.credential(registered).get({ id: 'a' })).toEqual({ token: 'T' })
    await bridge.close()
  })
})
