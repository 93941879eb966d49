/**
 * The compatibility suite, library side: uni-open-bridge-common's behaviour, case by case, as its code does it.
 * Versions read (DCloud's own repositories and projects that vendor the module): 1.0.3, 1.0.4, 1.1.2, 1.2.0, 1.2.1
 * (`index.js`, `storage.js`, `config.js`, `consts.js`, `validator.js`, `uni-cloud-cache.js`), the cloud object
 * `uni-open-bridge` 1.0.0 and 1.0.1, DCloud's `uni-id-co` (uni-id-pages, `lib/utils/weixin.js`) and
 * `uni-subscribemsg`. Each case names what the original does; where open-bridge differs on purpose the test
 * says so, and the migration guide lists it.
 */
import { join } from 'node:path'
import { isBridgeError, type CredentialBridge } from '@open-bridge/core'
import { code2Session } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as common from '@open-bridge/uni-open-bridge-common'
import { UNI_CONFIG_CENTER, workDir, writeJson } from './support.js'

const {
  configure,
  getBridge,
  getAccessToken,
  setAccessToken,
  getUserAccessToken,
  setUserAccessToken,
  removeUserAccessToken,
  getSessionKey,
  setSessionKey,
  getEncryptKey,
  setEncryptKey,
  removeEncryptKey,
  getTicket,
  setTicket,
} = common

const MP_APPID = 'wxcompat00000001'
const H5_APPID = 'wxcompat000000h5'
const DCLOUD = '__UNI__COMPAT'
let fake: FakeWeChat
const dirs: Array<() => Promise<void>> = []

beforeAll(async () => {
  fake = await startFakeWeChat({
    apps: [
      { appid: MP_APPID, secret: 'compat-mp-secret' },
      { appid: H5_APPID, secret: 'compat-h5-secret' },
    ],
  })
})
afterAll(() => fake.close())
afterEach(async () => {
  await configure()
  await Promise.all(dirs.splice(0).map((cleanup) => cleanup()))
})

/**
 * A uniCloud project (uni-config-center under `uniCloud/cloudfunctions/common`, found by looking) with an
 * `open-bridge.config.json` beside it for what uniCloud gave implicitly: the store, and the fake WeChat.
 */
async function project(file: Record<string, unknown> = {}): Promise<string> {
  const { dir, cleanup } = await workDir({ unicloud: true })
  dirs.push(cleanup)
  await writeJson(join(dir, 'open-bridge.config.json'), { stores: ['memory'], wechat: { baseUrl: fake.url }, ...file })
  await configure({ cwd: dir, env: {} })
  return dir
}

async function failure(work: Promise<unknown>): Promise<{ code: string; message: string; field?: string }> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'expected a rejection').toBeDefined()
  return error as { code: string; message: string; field?: string }
}

describe('a config file beside a uni-config-center directory', () => {
  it('both are read: apps from uni-id/config.json, stores and the platform from the file', async () => {
    // Before: a config file turned looking for uni-config-center off, and every dcloudAppid key was E_UNKNOWN_APP.
    await project()
    await setAccessToken({ dcloudAppid: DCLOUD, platform: 'weixin-mp' }, { access_token: 'AT' }, 7200)
    expect(await getAccessToken({ appid: MP_APPID, platform: 'weixin-mp' })).toEqual({ access_token: 'AT' })
  })

  it('"uniConfigCenter": false in the file turns looking off, and E_UNKNOWN_APP says so and what was read', async () => {
    const dir = await project({ uniConfigCenter: false })
    const error = await failure(getAccessToken({ dcloudAppid: DCLOUD, platform: 'weixin-mp' }))
    expect(error.code).toBe('E_UNKNOWN_APP')
    expect(error.message).toContain('no app is configured with a dcloudAppid')
    expect(error.message).toContain(join(dir, 'open-bridge.config.json'))
    expect(error.message).toContain('"uniConfigCenter": false in open-bridge.config.json')
  })

  it('E_UNKNOWN_APP names the files read and the dcloudAppids and platforms they define, never a secret', async () => {
    const dir = await project()
    const error = await failure(getAccessToken({ dcloudAppid: DCLOUD, platform: 'qq-mp' }))
    expect(error.code).toBe('E_UNKNOWN_APP')
    expect(error.message).toContain(`configured: ${DCLOUD} (weixin-mp, weixin-h5)`)
    expect(error.message).toContain(join(dir, UNI_CONFIG_CENTER, 'uni-id/config.json'))
    expect(error.message).toContain(`uni-config-center found at ${join(dir, UNI_CONFIG_CENTER)}`)
    expect(error.message).not.toMatch(/compat-(mp|h5)-secret/)
  })
})

describe('`provider` for `platform` (1.1.1 on: FixOldKey sets key.provider from key.platform when absent)', () => {
  it("uni-subscribemsg's weixin-h5 service: getAccessToken({ dcloudAppid, provider: 'weixin-h5' }) fetches and is kept", async () => {
    await project()
    fake.resetCalls()
    const first = await getAccessToken({ dcloudAppid: DCLOUD, provider: 'weixin-h5' } as never)
    expect(fake.isTokenValid(first!.access_token)).toBe(true)
    // The same credential under platform: one storage key, one platform call.
    expect(await getAccessToken({ dcloudAppid: DCLOUD, platform: 'weixin-h5' })).toEqual(first)
    expect(fake.calls('token') + fake.calls('stable_token')).toBe(1)
  })

  it('a truthy provider wins over platform (the storage key is built from provider); an empty one does not', async () => {
    await project()
    await setTicket({ dcloudAppid: DCLOUD, platform: 'weixin-mp', provider: 'weixin-h5' } as never, { ticket: 'T' }, 60)
    expect(await getTicket({ appid: H5_APPID, platform: 'weixin-h5' })).toEqual({ ticket: 'T' })
    await setTicket({ dcloudAppid: DCLOUD, platform: 'weixin-mp', provider: '' } as never, { ticket: 'MP' }, 60)
    expect(await getTicket({ appid: MP_APPID, platform: 'weixin-mp' })).toEqual({ ticket: 'MP' })
  })

  it("the caller's key object is not written to (the original added provider and appid to it)", async () => {
    await project()
    const key = { dcloudAppid: DCLOUD, provider: 'weixin-mp' }
    await setAccessToken(key as never, { access_token: 'X' }, 60)
    expect(key).toEqual({ dcloudAppid: DCLOUD, provider: 'weixin-mp' })
  })
})

describe('older platform spellings (cloud object 1.0.0 consts.js: mp-weixin, h5-weixin, …)', () => {
  it('name the same credentials as today’s names', async () => {
    await project()
    await setAccessToken({ dcloudAppid: DCLOUD, platform: 'mp-weixin' } as never, { access_token: 'OLD' }, 60)
    expect(await getAccessToken({ dcloudAppid: DCLOUD, platform: 'weixin-mp' })).toEqual({ access_token: 'OLD' })
    await setSessionKey({ dcloudAppid: DCLOUD, provider: 'mp-weixin', openid: 'o1' } as never, { session_key: 'S' })
    expect(await getSessionKey({ appid: MP_APPID, platform: 'weixin-mp', openid: 'o1' })).toEqual({ session_key: 'S' })
    expect(await getTicket({ dcloudAppid: DCLOUD, platform: 'h5-weixin' } as never, async () => null)).toBeNull()
  })

  it('an unknown platform is still E_INVALID_KEY naming key.platform (the original: appid or provider invalid)', async () => {
    await project()
    const error = await failure(getAccessToken({ dcloudAppid: DCLOUD, platform: 'weixin-xx' } as never))
    expect([error.code, error.field]).toEqual(['E_INVALID_KEY', 'key.platform'])
  })
})

describe('user credentials of a platform uni-id/config.json does not configure', () => {
  // 1.0.x keyed storage on dcloudAppid and platform and stored any key; 1.1 on resolved the appid from uni-id and
  // threw 'appid or provider invalid'. uni-id-co's weixin-web branch (saveWeixinUserKey) writes such a key.
  const web = { dcloudAppid: DCLOUD, platform: 'weixin-web' as const, openid: 'o-web' }

  it("uni-id-co's saveWeixinUserKey / getWeixinCache on weixin-web: stored and read under the dcloudAppid", async () => {
    await project()
    const value = { access_token: 'UAT', refresh_token: 'URT', access_token_expired: Date.now() + 7_200_000 }
    await setUserAccessToken(web, value, 30 * 24 * 60 * 60)
    expect(await getUserAccessToken(web)).toEqual(value)
    const bridge = await getBridge()
    // The storage key names the dcloudAppid where the platform appid would be.
    expect(await bridge.getUserAccessToken({ appid: DCLOUD, platform: 'weixin-web', openid: 'o-web' })).toEqual(value)
    await removeUserAccessToken(web)
    expect(await getUserAccessToken(web, async () => null)).toBeNull()
  })

  it('fetching one still needs the app: E_APP_NOT_CONFIGURED; app credentials stay E_UNKNOWN_APP', async () => {
    await project()
    await setUserAccessToken(web, { access_token: 'old', refresh_token: 'R' }, 60)
    fake.resetCalls()
    const refresh = await failure(common.refreshUserAccessToken(web))
    expect(refresh.code).toBe('E_APP_NOT_CONFIGURED')
    expect(fake.calls('oauth2_refresh_token')).toBe(0)
    const app = await failure(getAccessToken({ dcloudAppid: DCLOUD, platform: 'weixin-web' }))
    expect(app.code).toBe('E_UNKNOWN_APP')
  })
})

describe('getEncryptKey without a version (the original built `encrypt-key-undefined` and could not fetch it)', () => {
  async function loggedIn(openid: string): Promise<CredentialBridge> {
    await project()
    const bridge = await getBridge()
    await code2Session(
      bridge,
      { dcloudAppid: DCLOUD, platform: 'weixin-mp' },
      fake.issueLoginCode(MP_APPID, { openid }),
    )
    return bridge
  }

  it('answers the newest key the platform holds, stores every version, and asks the platform once', async () => {
    await loggedIn('o-ek')
    fake.rotateEncryptKey(MP_APPID, 'o-ek')
    const newest = fake.rotateEncryptKey(MP_APPID, 'o-ek')
    fake.resetCalls()
    const user = { dcloudAppid: DCLOUD, platform: 'weixin-mp' as const, openid: 'o-ek' }
    const answer = await getEncryptKey(user)
    expect(answer).toMatchObject({ encrypt_key: newest.encrypt_key, iv: newest.iv, version: newest.version })
    expect(await getEncryptKey(user)).toEqual(answer)
    expect(await getEncryptKey({ ...user, version: newest.version - 1 })).not.toBeNull()
    expect(fake.calls('getuserencryptkey')).toBe(1)
  })

  it('a string version names the same key as the number (the original built `encrypt-key-<version>`)', async () => {
    await project()
    const user = { dcloudAppid: DCLOUD, platform: 'weixin-mp' as const, openid: 'o-str' }
    await setEncryptKey({ ...user, version: '2' } as never, { encrypt_key: 'K', iv: 'I' }, 60)
    expect(await getEncryptKey({ ...user, version: 2 })).toEqual({ encrypt_key: 'K', iv: 'I' })
  })

  it('set without a version takes the value’s own version; without one it is refused (nothing could read it back)', async () => {
    await project()
    const user = { dcloudAppid: DCLOUD, platform: 'weixin-mp' as const, openid: 'o-set' }
    await setEncryptKey(user, { encrypt_key: 'K3', iv: 'I3', version: 3 }, 60)
    expect(await getEncryptKey({ ...user, version: 3 })).toEqual({ encrypt_key: 'K3', iv: 'I3', version: 3 })
    expect(await getEncryptKey(user)).toEqual({ encrypt_key: 'K3', iv: 'I3', version: 3 })
    await removeEncryptKey(user)
    expect(await getEncryptKey({ ...user, version: 3 }, async () => null)).toBeNull()
    const error = await failure(setEncryptKey(user, { encrypt_key: 'K', iv: 'I' }, 60))
    expect([error.code, error.field]).toEqual(['E_INVALID_KEY', 'key.version'])
  })
})

describe('set, expiresIn and fallbacks as the original handles them', () => {
  const app = { dcloudAppid: DCLOUD, platform: 'weixin-mp' as const }

  it('expiresIn 0 writes nothing (Storage.set: `if (expires_in !== 0)`), and what was stored stays', async () => {
    await project()
    await setAccessToken(app, { access_token: 'KEPT' }, 600)
    expect(await setAccessToken(app, { access_token: 'NOT-WRITTEN' }, 0)).toBeUndefined()
    expect(await getAccessToken(app)).toEqual({ access_token: 'KEPT' })
    // The key is still checked, as the original validated it before skipping.
    expect((await failure(setAccessToken({ platform: 'weixin-mp' } as never, { access_token: 'x' }, 0))).code).toBe(
      'E_INVALID_KEY',
    )
  })

  it('an encrypt key with expiresIn 0 is kept 60 s (Encryptkey.getExpiresIn: value <= 0 → 60)', async () => {
    await project()
    const key = { ...app, openid: 'o-60', version: 1 }
    const before = Date.now()
    await setEncryptKey(key, { encrypt_key: 'K', iv: 'I' }, 0)
    const record = await (await getBridge()).getRecord('encrypt_key', key)
    expect(record?.expiresAt).toBeGreaterThanOrEqual(before + 60_000)
    expect(record?.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000)
  })

  it('a fallback answering { value: null, duration } (its documented shape) is a miss: null, nothing stored', async () => {
    await project()
    const key = { ...app, openid: 'o-null' }
    expect(await getSessionKey(key, async () => ({ value: null, duration: 1 }) as never)).toBeNull()
    expect(await getSessionKey(key)).toBeNull()
  })

  it('a fallback without duration is answered and not kept (CacheKey.get keeps it only when duration is defined)', async () => {
    await project()
    const key = { ...app, openid: 'o-nodur' }
    expect(await getSessionKey(key, async () => ({ value: { session_key: 'S' } }) as never)).toEqual({
      session_key: 'S',
    })
    expect(await getSessionKey(key)).toBeNull()
  })

  it('get resolves null on a miss; set and remove resolve undefined', async () => {
    await project()
    const key = { ...app, openid: 'o-void' }
    expect(await getSessionKey(key)).toBeNull()
    expect(await setSessionKey(key, { session_key: 'S' })).toBeUndefined()
    expect(await common.removeSessionKey(key)).toBeUndefined()
  })
})

describe('names the original exports', () => {
  it('ProviderType, and PlatformType as the same object (consts.js: `const PlatformType = ProviderType`)', () => {
    expect(common.PlatformType).toBe(common.ProviderType)
    expect(common.ProviderType).toEqual({
      WEIXIN_MP: 'weixin-mp',
      WEIXIN_H5: 'weixin-h5',
      WEIXIN_APP: 'weixin-app',
      WEIXIN_WEB: 'weixin-web',
      QQ_MP: 'qq-mp',
      QQ_APP: 'qq-app',
    })
    expect(common.ErrorCodeType).toEqual({ SYSTEM_ERROR: 'UNI_OPEN_BRIDGE_SYSTEM_ERROR' })
  })

  it('WeixinServer: its URLs, and helpers that say what to call instead', async () => {
    expect(common.WeixinServer.AccessToken_Url).toBe('https://api.weixin.qq.com/cgi-bin/stable_token')
    expect(common.WeixinServer.Ticket_Url).toBe('https://api.weixin.qq.com/cgi-bin/ticket/getticket?type=jsapi')
    const error = await failure(common.WeixinServer.GetMPAccessTokenData({ appid: 'wx', secret: 's' }))
    expect(error.code).toBe('E_UNSUPPORTED')
    expect(error.message).toContain("getAccessToken({ dcloudAppid, platform: 'weixin-mp' })")
    expect(error.message).not.toContain(' s ')
  })

  it('updateAccessToken (1.2.x) fetches a new token now and stores it', async () => {
    await project()
    const key = { dcloudAppid: DCLOUD, platform: 'weixin-h5' as const }
    const before = await getAccessToken(key)
    const issued = fake.tokensIssued()
    expect(await common.updateAccessToken(key)).toBeUndefined()
    expect(fake.tokensIssued()).toBe(issued + 1)
    const after = await getAccessToken(key)
    expect(after?.access_token).not.toBe(before?.access_token)
    await common.updateTicket(key)
    expect((await getTicket(key))?.ticket).toBeTruthy()
  })

  it('getUserKey / setUserKey / removeUserKey (cloud object 1.0.0) are the session_key', async () => {
    await project()
    const key = { dcloudAppid: DCLOUD, platform: 'mp-weixin', openid: 'o-uk' } as never
    await common.setUserKey(key, { session_key: 'SK' }, 60)
    expect(await getSessionKey({ dcloudAppid: DCLOUD, platform: 'weixin-mp', openid: 'o-uk' })).toEqual({
      session_key: 'SK',
    })
    expect(await common.getUserKey(key)).toEqual({ session_key: 'SK' })
    await common.removeUserKey(key)
    expect(await common.getUserKey(key)).toBeNull()
  })

  it('destructured from the module they keep working (uniCloud code destructures the require)', async () => {
    await project()
    const { getAccessToken: get, setAccessToken: set, removeAccessToken: remove } = common
    await set({ dcloudAppid: DCLOUD, provider: 'weixin-mp' } as never, { access_token: 'D' }, 7200)
    expect(await get({ dcloudAppid: DCLOUD, platform: 'weixin-mp' })).toEqual({ access_token: 'D' })
    await remove({ dcloudAppid: DCLOUD, platform: 'weixin-mp' })
    expect(await get({ dcloudAppid: DCLOUD, platform: 'weixin-mp' }, async () => null)).toBeNull()
  })
})

describe('still refused, because accepting would store a broken credential (listed in the migration guide)', () => {
  it("the documented samples' empty placeholders: { access_token: '' } and openid ''", async () => {
    await project()
    const empty = await failure(setAccessToken({ dcloudAppid: DCLOUD, platform: 'weixin-mp' }, { access_token: '' }))
    expect([empty.code, empty.field]).toEqual(['E_INVALID_VALUE', 'value.access_token'])
    // The original refused an empty openid too (Validator.Key: 'Invalid openid').
    const openid = await failure(
      setSessionKey({ dcloudAppid: DCLOUD, platform: 'weixin-mp', openid: '' }, { session_key: 's' }),
    )
    expect(isBridgeError(openid, 'E_INVALID_KEY')).toBe(true)
  })

  it('a string expiresIn (the original threw "Invalid duration" from its cache layer)', async () => {
    await project()
    const error = await failure(
      setAccessToken({ dcloudAppid: DCLOUD, platform: 'weixin-mp' }, { access_token: 'a' }, '7200' as never),
    )
    expect(error.code).toBe('E_INVALID_EXPIRES')
  })
})
