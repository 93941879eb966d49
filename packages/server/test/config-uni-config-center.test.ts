import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load-config.js'
import { readUniConfigCenter } from '../src/config/uni-config-center.js'

const fixtures = fileURLToPath(new URL('./fixtures/uni-config-center/', import.meta.url))

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-ucc-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A copy of a fixture project, with `edit` applied to its files' parsed JSON. */
async function project(
  edit: { uniId?: (c: Record<string, unknown>) => unknown; bridge?: (c: Record<string, unknown>) => unknown } = {},
): Promise<string> {
  const root = join(dir, 'uni-config-center')
  await cp(join(fixtures, 'project'), root, { recursive: true })
  for (const [file, change] of [
    ['uni-id/config.json', edit.uniId],
    ['uni-open-bridge/config.json', edit.bridge],
  ] as const) {
    if (!change) continue
    const path = join(root, file)
    await writeFile(path, JSON.stringify(change(JSON.parse(await readFile(path, 'utf8')))))
  }
  return root
}

const refusal = (root: string) =>
  readUniConfigCenter(root).then(
    () => expect.unreachable('must be refused'),
    (e: { code: string; field: string; message: string }) => e,
  )

describe("--uni-config-center: a uniCloud project's files, unchanged", () => {
  it('reads the apps of uni-id/config.json (platform paths, dcloudAppid), the schedule and ipWhitelist', async () => {
    const ucc = await readUniConfigCenter(join(fixtures, 'project'))
    expect(ucc.files).toEqual(['uni-id/config.json', 'uni-open-bridge/config.json'])
    expect(ucc.apps).toEqual([
      {
        platform: 'weixin-mp',
        appid: 'wx1234567890abcdef',
        dcloudAppid: '__UNI__A1B2C3',
        secret: 'mp-secret-from-uni-id',
        tasks: ['accessToken'],
        field: 'uni-id/config.json:mp-weixin.oauth.weixin',
      },
      {
        platform: 'weixin-h5',
        appid: 'wxfedcba0987654321',
        dcloudAppid: '__UNI__A1B2C3',
        secret: 'h5-secret-from-uni-id',
        tasks: ['accessToken', 'ticket'],
        field: 'uni-id/config.json:web.oauth.weixin-h5',
      },
      // app.oauth.weixin has an appid and an empty appsecret: usable for set/get, nothing fetched.
      {
        platform: 'weixin-app',
        appid: 'wxaaaabbbbccccdddd',
        dcloudAppid: '__UNI__A1B2C3',
        secret: undefined,
        tasks: [],
        field: 'uni-id/config.json:app.oauth.weixin',
      },
    ])
    expect(ucc.ipAllowList).toEqual(['10.0.0.8', '192.168.1.0/24'])
  })

  it('the documented samples load as shown (comments, empty placeholders) and refuse a schedule for the empty app', async () => {
    const error = await refusal(join(fixtures, 'doc-sample'))
    // The comments parsed; the sample enables weixin-mp's accessToken for an app whose appid / appsecret are "".
    expect(error.code).toBe('E_INVALID_CONFIG')
    expect(error.field).toBe('uni-open-bridge/config.json:schedule.__UNI__xxxxxx.weixin-mp')
    expect(error.message).toContain(
      'uni-id/config.json configures no weixin-mp app for this dcloudAppid (uni-id/config.json:mp-weixin.oauth.weixin)',
    )
  })

  it('the documented samples, appid and appsecret filled in, comments kept: weixin-mp scheduled, weixin-h5 disabled', async () => {
    const root = join(dir, 'doc')
    await cp(join(fixtures, 'doc-sample'), root, { recursive: true })
    const path = join(root, 'uni-id/config.json')
    const filled = (await readFile(path, 'utf8'))
      .replace(
        '"appid": "", // 微信公众平台申请的小程序 appid',
        '"appid": "wx1111111111111111", // 微信公众平台申请的小程序 appid',
      )
      .replace(
        '"appsecret": "" // 微信公众平台申请的小程序 secret',
        '"appsecret": "mp-sample-secret" // 微信公众平台申请的小程序 secret',
      )
    await writeFile(path, filled)
    const ucc = await readUniConfigCenter(root)
    expect(ucc.apps.map((a) => [a.platform, a.appid, a.dcloudAppid, a.tasks])).toEqual([
      ['weixin-mp', 'wx1111111111111111', '__UNI__xxxxxx', ['accessToken']],
    ])
    expect(ucc.ipAllowList).toEqual(['0.0.0.0']) // the sample's spelling, ipWhiteList
  })

  it('both spellings of the IP list are read and merged', async () => {
    const root = await project({ bridge: (c) => ({ ...c, ipWhiteList: ['10.0.0.8', '::1'] }) })
    expect((await readUniConfigCenter(root)).ipAllowList).toEqual(['10.0.0.8', '::1', '192.168.1.0/24'])
  })

  it('an array of uni-id configs (several dcloudAppids) is read', async () => {
    const root = await project({
      uniId: (c) => [
        c,
        {
          dcloudAppid: '__UNI__OTHER',
          'mp-weixin': { oauth: { weixin: { appid: 'wx2222222222222222', appsecret: 'other' } } },
        },
      ],
    })
    const apps = (await readUniConfigCenter(root)).apps
    expect(apps.map((a) => [a.dcloudAppid, a.appid, a.field])).toContainEqual([
      '__UNI__OTHER',
      'wx2222222222222222',
      'uni-id/config.json:[1].mp-weixin.oauth.weixin',
    ])
  })

  it('no uni-open-bridge/config.json: apps only, nothing scheduled, no IP list', async () => {
    const root = await project()
    await rm(join(root, 'uni-open-bridge'), { recursive: true })
    const ucc = await readUniConfigCenter(root)
    expect(ucc.files).toEqual(['uni-id/config.json'])
    expect(ucc.apps.every((a) => a.tasks.length === 0)).toBe(true)
    expect(ucc.ipAllowList).toBeUndefined()
  })

  it('an entry without enable: true does not run (as in uni-open-bridge)', async () => {
    const root = await project({
      bridge: () => ({ schedule: { __UNI__A1B2C3: { 'weixin-mp': { enable: true, tasks: ['accessToken'] } } } }),
    })
    expect((await readUniConfigCenter(root)).apps.every((a) => a.tasks.length === 0)).toBe(true)
  })

  it('an unknown task name is an error at start, even in a disabled entry', async () => {
    const root = await project({
      bridge: (c) => ({
        ...c,
        schedule: {
          __UNI__A1B2C3: { enable: false, 'weixin-h5': { enable: false, tasks: ['ticket', 'jsapiTicket'] } },
        },
      }),
    })
    const error = await refusal(root)
    expect(error).toMatchObject({
      code: 'E_INVALID_CONFIG',
      field: 'uni-open-bridge/config.json:schedule.__UNI__A1B2C3.weixin-h5.tasks[1]',
    })
    expect(error.message).toContain('must be one of accessToken, ticket')
  })

  it('an unknown platform, a ticket on weixin-mp, a schedule for an app without a secret: each named', async () => {
    const platform = await refusal(
      await project({
        bridge: () => ({ schedule: { __UNI__A1B2C3: { enable: true, 'weixin-xx': { enable: true, tasks: [] } } } }),
      }),
    )
    expect(platform.field).toBe('uni-open-bridge/config.json:schedule.__UNI__A1B2C3.weixin-xx')
    const ticket = await refusal(
      await project({
        bridge: () => ({
          schedule: { __UNI__A1B2C3: { enable: true, 'weixin-mp': { enable: true, tasks: ['ticket'] } } },
        }),
      }),
    )
    expect(ticket.field).toBe('uni-open-bridge/config.json:schedule.__UNI__A1B2C3.weixin-mp.tasks[0]')
    const noSecret = await refusal(
      await project({
        bridge: () => ({
          schedule: { __UNI__A1B2C3: { enable: true, 'weixin-app': { enable: true, tasks: ['accessToken'] } } },
        }),
      }),
    )
    expect(noSecret.field).toBe('uni-open-bridge/config.json:schedule.__UNI__A1B2C3.weixin-app')
    expect(noSecret.message).toContain('appsecret is empty')
  })

  it('malformed files: not JSON, a bad appid, a missing uni-id/config.json — named, never quoting a secret', async () => {
    const root = await project()
    await writeFile(
      join(root, 'uni-id/config.json'),
      '{ "passwordSecret": "uni-id-password-secret-not-for-open-bridge", }x',
    )
    const notJson = await refusal(root)
    expect(notJson).toMatchObject({ code: 'E_CONFIG_FILE', field: 'uni-id/config.json' })
    expect(notJson.message).not.toContain('uni-id-password-secret')

    const badAppid = await refusal(
      await project({
        uniId: (c) => ({ ...c, web: { oauth: { 'weixin-h5': { appid: 7, appsecret: 'h5-secret-from-uni-id' } } } }),
      }),
    )
    expect(badAppid.field).toBe('uni-id/config.json:web.oauth.weixin-h5.appid')
    expect(badAppid.message).not.toContain('h5-secret-from-uni-id')

    const missing = await refusal(join(dir, 'nowhere'))
    expect(missing).toMatchObject({ code: 'E_CONFIG_FILE', field: 'uni-id/config.json' })
  })

  it('with a config file too: apps from both, the IP lists merged, the rest from the file', async () => {
    const root = await project()
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({
        apps: [{ platform: 'qq-mp', appid: '1110000000', secret: 'qq' }],
        server: { port: 9100, auth: { ipAllowList: ['127.0.0.1'] } },
      }),
    )
    const config = await loadConfig({ cwd: dir, env: {}, uniConfigCenter: 'uni-config-center' })
    expect(config.origin).toEqual({
      file: join(dir, 'open-bridge.config.json'),
      uniConfigCenter: root,
      files: [
        join(dir, 'open-bridge.config.json'),
        join(root, 'uni-id/config.json'),
        join(root, 'uni-open-bridge/config.json'),
      ],
      discovery: undefined,
    })
    expect(config.apps.map((a) => a.platform)).toEqual(['qq-mp', 'weixin-mp', 'weixin-h5', 'weixin-app'])
    expect(config.server.port).toBe(9100)
    expect(config.server.auth.ipAllowList).toEqual(['127.0.0.1', '10.0.0.8', '192.168.1.0/24'])
  })

  it('the same app in the file and in uni-id is refused, naming both places', async () => {
    await project()
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({ apps: [{ platform: 'weixin-mp', appid: 'wx1234567890abcdef' }] }),
    )
    const error = await loadConfig({ cwd: dir, env: {}, uniConfigCenter: 'uni-config-center' }).then(
      () => expect.unreachable('must be refused'),
      (e: Error & { field: string }) => e,
    )
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', field: 'uni-id/config.json:mp-weixin.oauth.weixin' })
    expect(error.message).toContain('first at apps[0]')
  })
})

describe('older layouts uni-open-bridge read (config.js of uni-open-bridge-common 1.1.3 on, the 1.0.0 cloud object)', () => {
  it('app-plus.oauth.* and h5-weixin / h5 .oauth.weixin when the current paths are absent; the current path wins', async () => {
    const root = await project({
      uniId: (c) => {
        const { web: _web, app: _app, ...rest } = c
        return {
          ...rest,
          'app-plus': {
            oauth: { weixin: { appid: 'wxappplus0000001', appsecret: 's1' }, qq: { appid: '1101', appsecret: 's2' } },
          },
          'h5-weixin': { oauth: { weixin: { appid: 'wxh5weixin000001', appsecret: 's3' } } },
          h5: { oauth: { weixin: { appid: 'wxh5plain0000001', appsecret: 's4' } } },
        }
      },
      bridge: () => ({}),
    })
    const byPlatform = Object.fromEntries((await readUniConfigCenter(root)).apps.map((app) => [app.platform, app]))
    expect(byPlatform['weixin-app']).toMatchObject({
      appid: 'wxappplus0000001',
      field: 'uni-id/config.json:app-plus.oauth.weixin',
    })
    expect(byPlatform['qq-app']).toMatchObject({ appid: '1101' })
    // h5-weixin comes before h5, as in the original's list.
    expect(byPlatform['weixin-h5']).toMatchObject({
      appid: 'wxh5weixin000001',
      field: 'uni-id/config.json:h5-weixin.oauth.weixin',
    })
    // With the current path there, the older one is not read.
    const current = await project({
      uniId: (c) => ({ ...c, 'h5-weixin': { oauth: { weixin: { appid: 'wxnotread0000001', appsecret: 'x' } } } }),
      bridge: () => ({}),
    })
    const h5 = (await readUniConfigCenter(current)).apps.find((app) => app.platform === 'weixin-h5')
    expect(h5?.appid).toBe('wxfedcba0987654321')
  })

  it('a schedule keyed by the first cloud object’s names (mp-weixin, h5-weixin) runs on weixin-mp / weixin-h5', async () => {
    const root = await project({
      bridge: () => ({
        schedule: {
          __UNI__A1B2C3: {
            enable: true,
            'mp-weixin': { enable: true, tasks: ['accessToken'] },
            'h5-weixin': { enable: true, tasks: ['ticket'] },
          },
        },
      }),
    })
    const apps = (await readUniConfigCenter(root)).apps
    expect(apps.find((app) => app.platform === 'weixin-mp')?.tasks).toEqual(['accessToken'])
    expect(apps.find((app) => app.platform === 'weixin-h5')?.tasks).toEqual(['ticket'])
  })
})
