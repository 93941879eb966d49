import { join } from 'node:path'
import { createBridge, memoryStore } from '@open-bridge/core'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
// ESM, the way a Node service imports it: named imports of the plain functions.
import {
  close,
  configure,
  getAccessToken,
  getBridge,
  getEncryptKey,
  getSessionKey,
  getTicket,
  getUserAccessToken,
  refreshAccessToken,
  removeAccessToken,
  removeEncryptKey,
  removeSessionKey,
  removeTicket,
  removeUserAccessToken,
  setAccessToken,
  setEncryptKey,
  setSessionKey,
  setTicket,
  setUserAccessToken,
} from '@open-bridge/uni-open-bridge-common'
import { storeUrlsFromEnv } from '../src/store-urls.js'
import { UNI_CONFIG_CENTER, workDir, writeJson } from './support.js'

const dirs: Array<() => Promise<void>> = []
async function project(options: { unicloud?: boolean } = {}): Promise<string> {
  const { dir, cleanup } = await workDir(options)
  dirs.push(cleanup)
  return dir
}
afterEach(async () => {
  await configure() // closes the bridge the test built, back to "environment and files"
  await Promise.all(dirs.splice(0).map((cleanup) => cleanup()))
})

const mp = { dcloudAppid: '__UNI__COMPAT', platform: 'weixin-mp' as const }

describe('the fifteen functions over a uni-config-center project', () => {
  it('finds uniCloud/cloudfunctions/common/uni-config-center in the cwd; dcloudAppid keys resolve through uni-id', async () => {
    const cwd = await project({ unicloud: true })
    await configure({ cwd, env: { OPEN_BRIDGE_STORES: 'memory' } })
    const openid = 'o-compat'
    await setAccessToken(mp, { access_token: 'AT' }, 7200)
    // The same credential by the platform appid uni-id/config.json gives for weixin-mp.
    expect(await getAccessToken({ appid: 'wxcompat00000001', platform: 'weixin-mp' })).toEqual({ access_token: 'AT' })
    await removeAccessToken(mp)
    expect(await getAccessToken({ appid: 'wxcompat00000001', platform: 'weixin-mp' }, async () => null)).toBeNull()

    await setUserAccessToken({ ...mp, platform: 'weixin-h5', openid }, { access_token: 'UAT' }, 7200)
    expect(await getUserAccessToken({ appid: 'wxcompat000000h5', platform: 'weixin-h5', openid })).toEqual({
      access_token: 'UAT',
    })
    await removeUserAccessToken({ ...mp, platform: 'weixin-h5', openid })

    await setSessionKey({ ...mp, openid }, { session_key: 'SK' })
    expect(await getSessionKey({ ...mp, openid })).toEqual({ session_key: 'SK' })
    await removeSessionKey({ ...mp, openid })

    await setEncryptKey({ ...mp, openid, version: 1 }, { encrypt_key: 'EK', iv: 'IV' }, 3600)
    expect(await getEncryptKey({ ...mp, openid, version: 1 })).toEqual({ encrypt_key: 'EK', iv: 'IV' })
    await removeEncryptKey({ ...mp, openid, version: 1 })

    await setTicket({ ...mp, platform: 'weixin-h5' }, { ticket: 'T' }, 7200)
    expect(await getTicket({ appid: 'wxcompat000000h5', platform: 'weixin-h5' })).toEqual({ ticket: 'T' })
    await removeTicket({ ...mp, platform: 'weixin-h5' })

    const bridge = await getBridge()
    for (const [kind, key] of [
      ['user_access_token', { ...mp, platform: 'weixin-h5', openid }],
      ['session_key', { ...mp, openid }],
      ['encrypt_key', { ...mp, openid, version: 1 }],
    ] as const) {
      expect(await bridge.get(kind, key as never, async () => null), kind).toBeNull()
    }
  })

  it('the fallback signature: getAccessToken(key, async () => ({ value, duration })) runs once and its value is kept', async () => {
    const cwd = await project({ unicloud: true })
    await configure({ cwd, env: { OPEN_BRIDGE_STORES: 'memory' } })
    let calls = 0
    const fallback = async () => {
      calls++
      return { value: { access_token: 'from-fallback' }, duration: 7200 }
    }
    const key = { ...mp, platform: 'weixin-web' as const, appid: 'wxweb' }
    const answers = await Promise.all(Array.from({ length: 20 }, () => getAccessToken(key, fallback)))
    expect(answers).toEqual(Array.from({ length: 20 }, () => ({ access_token: 'from-fallback' })))
    expect(await getAccessToken(key)).toEqual({ access_token: 'from-fallback' })
    expect(calls).toBe(1)
  })

  it('OPEN_BRIDGE_UNI_CONFIG_CENTER names the directory anywhere', async () => {
    const elsewhere = await project({ unicloud: true })
    const cwd = await project()
    await configure({
      cwd,
      env: { OPEN_BRIDGE_UNI_CONFIG_CENTER: join(elsewhere, UNI_CONFIG_CENTER), OPEN_BRIDGE_STORES: 'memory' },
    })
    await setAccessToken(mp, { access_token: 'AT2' }, 60)
    expect(await getAccessToken({ appid: 'wxcompat00000001', platform: 'weixin-mp' })).toEqual({ access_token: 'AT2' })
  })

  it('concurrent first calls build one bridge', async () => {
    const cwd = await project({ unicloud: true })
    await configure({ cwd, env: { OPEN_BRIDGE_STORES: 'memory' } })
    const bridges = await Promise.all(Array.from({ length: 10 }, () => getBridge()))
    expect(new Set(bridges).size).toBe(1)
  })
})

describe('open-bridge.config.json and OPEN_BRIDGE_STORES', () => {
  it('reads open-bridge.config.json in the working directory: its stores keep the value across a rebuild', async () => {
    const cwd = await project()
    await writeJson(join(cwd, 'open-bridge.config.json'), {
      stores: ['memory', 'sqlite:./file.db'],
      apps: [{ dcloudAppid: '__UNI__FILE', platform: 'weixin-mp', appid: 'wxfile' }],
    })
    await configure({ cwd, env: {} })
    await setSessionKey(
      { dcloudAppid: '__UNI__FILE', platform: 'weixin-mp', openid: 'o1' },
      { session_key: 'persisted' },
      600,
    )
    await close() // the memory tier goes; the SQLite file stays
    expect(await getSessionKey({ appid: 'wxfile', platform: 'weixin-mp', openid: 'o1' })).toEqual({
      session_key: 'persisted',
    })
  })

  it("OPEN_BRIDGE_STORES replaces the file's stores (parsed by the server's store-URL rule)", async () => {
    const cwd = await project()
    await writeJson(join(cwd, 'open-bridge.config.json'), {
      stores: ['memory'],
      apps: [{ platform: 'weixin-mp', appid: 'wxfile' }],
    })
    await configure({ cwd, env: { OPEN_BRIDGE_STORES: 'memory?max=100, sqlite:./env.db' } })
    await setSessionKey({ appid: 'wxfile', platform: 'weixin-mp', openid: 'o1' }, { session_key: 'in-env-db' }, 600)
    await close()
    expect(await getSessionKey({ appid: 'wxfile', platform: 'weixin-mp', openid: 'o1' })).toEqual({
      session_key: 'in-env-db',
    })
    // Without the variable the file's memory-only stores hold nothing.
    await configure({ cwd, env: {} })
    expect(await getSessionKey({ appid: 'wxfile', platform: 'weixin-mp', openid: 'o1' })).toBeNull()
  })

  it('OPEN_BRIDGE_CONFIG names the file; with a uni-config-center as well, apps come from both', async () => {
    const cwd = await project({ unicloud: true })
    await writeJson(join(cwd, 'elsewhere.json'), {
      stores: ['memory'],
      apps: [{ dcloudAppid: '__UNI__FILE', platform: 'qq-mp', appid: 'qq1' }],
    })
    await configure({
      cwd,
      env: { OPEN_BRIDGE_CONFIG: 'elsewhere.json', OPEN_BRIDGE_UNI_CONFIG_CENTER: UNI_CONFIG_CENTER },
    })
    await setAccessToken({ dcloudAppid: '__UNI__FILE', platform: 'qq-mp' }, { access_token: 'QQ' }, 60)
    await setAccessToken(mp, { access_token: 'WX' }, 60)
    expect(await getAccessToken({ appid: 'qq1', platform: 'qq-mp' })).toEqual({ access_token: 'QQ' })
    expect(await getAccessToken({ appid: 'wxcompat00000001', platform: 'weixin-mp' })).toEqual({ access_token: 'WX' })
  })

  it('splits OPEN_BRIDGE_STORES at commas before a scheme only, so a MongoDB seed list stays one URL', () => {
    expect(
      storeUrlsFromEnv({
        OPEN_BRIDGE_STORES: 'memory,redis://:p%2Cw@127.0.0.1:6379/0,mongodb://h1:27017,h2:27017/db,sqlite:./x.db',
      }),
    ).toEqual(['memory', 'redis://:p%2Cw@127.0.0.1:6379/0', 'mongodb://h1:27017,h2:27017/db', 'sqlite:./x.db'])
    expect(storeUrlsFromEnv({})).toBeUndefined()
  })
})

describe('typed errors', () => {
  it('no config anywhere: E_NO_CONFIG naming where it looked; a later call retries (the failure is not cached)', async () => {
    const cwd = await project()
    await configure({ cwd, env: {} })
    const error = await getAccessToken(mp).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'UniCommonError', code: 'E_NO_CONFIG', field: 'OPEN_BRIDGE_CONFIG' })
    expect((error as Error).message).toContain('open-bridge.config.json')
    expect((error as Error).message).toContain('uniCloud/cloudfunctions/common/uni-config-center/uni-id/config.json')
    expect((error as Error).message).toContain('OPEN_BRIDGE_UNI_CONFIG_CENTER')
    await writeJson(join(cwd, 'open-bridge.config.json'), {
      stores: ['memory'],
      apps: [{ dcloudAppid: '__UNI__COMPAT', platform: 'weixin-mp', appid: 'wx1' }],
    })
    await setAccessToken(mp, { access_token: 'late' }, 60)
    expect(await getAccessToken(mp)).toEqual({ access_token: 'late' })
  })

  it('a bad OPEN_BRIDGE_STORES entry is E_INVALID_ENV naming the variable and the entry, never the URL', async () => {
    const cwd = await project({ unicloud: true })
    await configure({ cwd, env: { OPEN_BRIDGE_STORES: 'memory,mongodb://user:hunter2@db.internal:27017' } })
    const error = await getAccessToken(mp).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_INVALID_ENV', field: 'OPEN_BRIDGE_STORES[1]' })
    expect((error as Error).message).not.toContain('hunter2')
    await configure({ cwd, env: { OPEN_BRIDGE_STORES: ' , ' } })
    await expect(getAccessToken(mp)).rejects.toMatchObject({ code: 'E_INVALID_ENV', field: 'OPEN_BRIDGE_STORES' })
  })

  it('a broken uni-id/config.json passes through as the loader reports it (the file named)', async () => {
    const cwd = await project()
    await configure({ cwd, env: { OPEN_BRIDGE_UNI_CONFIG_CENTER: 'missing-dir' } })
    await expect(getAccessToken(mp)).rejects.toMatchObject({ code: 'E_CONFIG_FILE' })
  })

  it("bad keys and values are core's typed errors, as in uni-open-bridge-common", async () => {
    const cwd = await project({ unicloud: true })
    await configure({ cwd, env: { OPEN_BRIDGE_STORES: 'memory' } })
    await expect(getSessionKey(mp as never)).rejects.toMatchObject({ code: 'E_INVALID_KEY', field: 'key.openid' })
    await expect(setAccessToken(mp, 'AT' as never)).rejects.toMatchObject({ code: 'E_INVALID_VALUE', field: 'value' })
  })

  it('configure() refuses options it cannot use', async () => {
    await expect(configure(null as never)).rejects.toMatchObject({ code: 'E_INVALID_OPTIONS', field: 'options' })
    await expect(configure({ bridge: {} as never })).rejects.toMatchObject({
      code: 'E_INVALID_OPTIONS',
      field: 'options.bridge',
    })
    const bridge = createBridge({ stores: [memoryStore()] })
    await expect(configure({ bridge, stores: ['memory'] })).rejects.toMatchObject({ field: 'options.stores' })
    await expect(configure({ stores: [] })).rejects.toMatchObject({ field: 'options.stores' })
    await expect(configure({ cwd: '' })).rejects.toMatchObject({ field: 'options.cwd' })
    await bridge.close()
  })

  it('configure() refuses an unknown option (a typo) naming it, with the closest known name', async () => {
    const cases: Array<[Record<string, unknown>, string, string | undefined]> = [
      [{ configpath: 'x.json' }, 'options.configpath', 'configPath'],
      [{ store: ['memory'] }, 'options.store', 'stores'],
      [{ uniConfigCentre: 'dir' }, 'options.uniConfigCentre', 'uniConfigCenter'],
      [{ cwd: '/tmp', enviroment: {} }, 'options.enviroment', undefined],
      [{ 'bad\u202ename\u0000': 1 }, 'options', undefined],
    ]
    for (const [options, field, near] of cases) {
      const error = await configure(options as never).then(
        () => undefined,
        (e: unknown) => e as { code: string; field: string; message: string },
      )
      expect(error, field).toMatchObject({ code: 'E_INVALID_OPTIONS', field })
      expect(error!.message).toContain('configure(options) has an unknown option')
      expect(error!.message).toContain('it takes bridge, configPath, uniConfigCenter, stores, cwd, env')
      if (near !== undefined) expect(error!.message).toContain(`(did you mean ${near}?)`)
      else expect(error!.message).not.toContain('did you mean')
      // Never a control or bidi character of what was typed.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      expect(error!.message).not.toMatch(/[\u0000-\u001f\u202e]/)
    }
  })
})

describe('configure({ bridge }): an app hands over its own bridge', () => {
  it('the functions use it; close() forgets it without closing it', async () => {
    const bridge = createBridge({
      stores: [memoryStore()],
      apps: [{ dcloudAppid: '__UNI__OWN', platform: 'weixin-mp', appid: 'wxown' }],
    })
    await configure({ bridge })
    await setAccessToken({ dcloudAppid: '__UNI__OWN', platform: 'weixin-mp' }, { access_token: 'OWN' }, 60)
    expect(await bridge.getAccessToken({ appid: 'wxown', platform: 'weixin-mp' })).toEqual({ access_token: 'OWN' })
    expect(await getBridge()).toBe(bridge)
    await close()
    expect(await bridge.getAccessToken({ appid: 'wxown', platform: 'weixin-mp' })).toEqual({ access_token: 'OWN' })
    await bridge.close()
  })
})

describe('built-in fetching, as uni-open-bridge-common does for weixin-mp', () => {
  let fake: FakeWeChat
  beforeAll(async () => {
    fake = await startFakeWeChat({ apps: [{ appid: 'wxcompat00000001', secret: 'compat-mp-secret' }] })
  })
  afterAll(() => fake.close())

  it('getAccessToken without a fallback fetches once (secret from uni-id); refreshAccessToken renews a rejected one', async () => {
    const cwd = await project({ unicloud: true })
    await writeJson(join(cwd, 'open-bridge.config.json'), { stores: ['memory'], wechat: { baseUrl: fake.url } })
    await configure({ cwd, env: { OPEN_BRIDGE_UNI_CONFIG_CENTER: UNI_CONFIG_CENTER } })
    fake.resetCalls()
    const answers = await Promise.all(Array.from({ length: 10 }, () => getAccessToken(mp)))
    const token = answers[0]!.access_token
    expect(fake.isTokenValid(token)).toBe(true)
    expect(answers.every((answer) => answer?.access_token === token)).toBe(true)
    expect(fake.calls('stable_token') + fake.calls('token')).toBe(1)
    fake.revokeToken(token)
    const renewed = await refreshAccessToken(mp, { ifValue: token })
    expect(renewed?.access_token).not.toBe(token)
    expect(fake.isTokenValid(renewed!.access_token)).toBe(true)
  })
})
