import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { inspect } from 'node:util'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'
import { loadConfig } from '../src/config/load-config.js'
import { createStores } from '../src/config/store-url.js'

const SECRET = 'SECRET-mp-7f3a9c'
const REDIS_PASSWORD = 'redis-pass-91d2e'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-config-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const writeJson = (name: string, value: unknown) => writeFile(join(dir, name), JSON.stringify(value, null, 2))
const load = (extra: Partial<Parameters<typeof loadConfig>[0]> = {}) => loadConfig({ cwd: dir, env: {}, ...extra })

/** Loads `config` and returns the error it must raise. */
async function failureOf(
  config: unknown,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: string; field: string; message: string }> {
  await writeJson('open-bridge.config.json', config)
  const error = await load({ env }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'the config must be refused').toBeDefined()
  return error as { code: string; field: string; message: string }
}

/** The error a promise rejects with (and a failed test if it resolves). */
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('must be refused'),
    (e: unknown) => e as Error & { code: string; field: string },
  )

const goodApp = { dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx1234567890abcdef', secret: SECRET }

describe('loadConfig: no file at all', () => {
  it('runs on the embedded default: memory + SQLite ./open-bridge.db on 127.0.0.1:8787', async () => {
    const config = await load()
    expect(config.origin).toEqual({ file: undefined, uniConfigCenter: undefined, files: [], discovery: undefined })
    expect(config.stores.map((s) => [s.scheme, s.name, s.label])).toEqual([
      ['memory', 'memory', 'memory'],
      ['sqlite', 'sqlite', 'sqlite:./open-bridge.db'],
    ])
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 8787,
      bodyLimit: undefined,
      limits: {},
      drainMs: 5000,
      shutdownGraceMs: 15_000,
      allowedHosts: undefined,
      auth: {},
    })
    expect(config.apps).toEqual([])
    expect(config.schedule).toEqual({ enable: true, cron: '0 * * * * *', jitterMs: 5000, timezone: undefined })
    expect(config.log.level).toBe('info')
  })
})

describe("loadConfig({ stores }): store URLs from elsewhere (an environment variable) replace the file's", () => {
  it("replaces the file's stores, parsed and named by the same rule; a bad one is named stores[i]", async () => {
    await writeJson('open-bridge.config.json', { stores: ['sqlite:./file.db'] })
    const config = await load({ stores: ['memory?max=5', 'redis://:pw@127.0.0.1:6379/0', 'redis://127.0.0.1:6380'] })
    expect(config.stores.map((s) => [s.scheme, s.name, s.label])).toEqual([
      ['memory', 'memory', 'memory?max=5'],
      ['redis', 'redis', 'redis://:***@127.0.0.1:6379/0'],
      ['redis', 'redis-2', 'redis://127.0.0.1:6380'],
    ])
    expect((await load()).stores.map((s) => s.label)).toEqual(['sqlite:./file.db'])
    const error = await errorOf(load({ stores: ['memory', 'postgres://db/x'] }))
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', field: 'stores[1]' })
  })
})

describe('loadConfig: the file', () => {
  it("the README's example config loads as it is", async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const example = /```json\n([\s\S]*?)```/.exec(readme)![1]!
    await writeFile(join(dir, 'open-bridge.config.json'), example)
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      WX_MP_SECRET: 'a',
      WX_H5_SECRET: 'b',
      OB_SIGNING_SECRET: 'sixteen-chars-or-more',
    }
    const config = await load({ env })
    expect(config.stores.map((s) => s.name)).toEqual(['memory', 'redis', 'sqlite'])
    expect(config.apps.map((a) => a.tasks)).toEqual([['accessToken'], ['accessToken', 'ticket']])
  })

  it('finds open-bridge.config.json in the working directory and resolves an env secret', async () => {
    await writeJson('open-bridge.config.json', {
      stores: ['memory?maxTtl=60000', 'sqlite:./data/creds.db'],
      apps: [
        { ...goodApp, secret: { env: 'WX_SECRET' } },
        { platform: 'weixin-h5', appid: 'wxh5', secret: 'h5', tasks: ['accessToken', 'ticket'] },
      ],
      schedule: { cron: '*/10 * * * * *', jitterMs: 2000 },
      server: {
        host: '0.0.0.0',
        port: 9000,
        auth: { ipAllowList: ['10.0.0.0/8'], trustProxy: 1, signingSecret: { env: 'SIGNING' } },
      },
      log: { level: 'warn' },
      refresh: { refreshAhead: { access_token: 300_000 }, fetchTimeout: 5000, lock: { ttl: 8000 }, breaker: false },
      wechat: { baseUrl: 'http://127.0.0.1:9', retry: { retries: 0 } },
    })
    const config = await load({ env: { WX_SECRET: SECRET, SIGNING: 'signing-secret-0123456789' } })
    expect(config.origin.file).toBe(join(dir, 'open-bridge.config.json'))
    expect(config.apps[0]).toMatchObject({
      platform: 'weixin-mp',
      secret: SECRET,
      tasks: ['accessToken'],
      field: 'apps[0]',
    })
    expect(config.apps[1]).toMatchObject({ platform: 'weixin-h5', tasks: ['accessToken', 'ticket'] })
    expect(config.stores.map((s) => s.label)).toEqual(['memory?maxTtl=60000', 'sqlite:./data/creds.db'])
    expect(config.schedule).toMatchObject({ cron: '*/10 * * * * *', jitterMs: 2000 })
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 9000,
      bodyLimit: undefined,
      limits: {},
      drainMs: 5000,
      shutdownGraceMs: 15_000,
      allowedHosts: undefined,
      auth: { ipAllowList: ['10.0.0.0/8'], trustProxy: 1, signingSecret: 'signing-secret-0123456789' },
    })
    expect(config.log.level).toBe('warn')
    expect(config.refresh).toEqual({
      refreshAhead: { access_token: 300_000 },
      fetchTimeout: 5000,
      lock: { ttl: 8000 },
      breaker: false,
    })
    expect(config.wechat).toEqual({ baseUrl: 'http://127.0.0.1:9', retry: { retries: 0 } })
    // Printed, logged or serialised, the resolved config shows no secret; read directly, it holds them.
    for (const view of [
      inspect(config, { depth: 10 }),
      JSON.stringify(config),
      inspect(config.apps[0]),
      JSON.stringify(config.server.auth),
    ]) {
      expect(view).not.toContain(SECRET)
      expect(view).not.toContain('signing-secret-0123456789')
      expect(view).toContain('[redacted]')
    }
    expect({ ...config.apps[0] }.secret).toBe(SECRET)
  })

  it('a proxy URL in wechat.baseUrl keeps its credentials out of every view of the config, and its value for use', async () => {
    const proxy = 'http://relay:proxy-pass-4711@egress.internal:3128/wx?token=proxy-token-0815#frag-0042'
    for (const baseUrl of [proxy, { weixin: proxy, qq: 'https://api.q.qq.com' }]) {
      await writeJson('open-bridge.config.json', { apps: [goodApp], wechat: { baseUrl } })
      const config = await load()
      for (const view of [inspect(config, { depth: 10 }), JSON.stringify(config), JSON.stringify(config.wechat)]) {
        for (const secret of ['proxy-pass-4711', 'proxy-token-0815', 'frag-0042']) expect(view).not.toContain(secret)
        expect(view).toContain('egress.internal:3128')
      }
      expect(config.wechat.baseUrl).toEqual(baseUrl)
    }
  })

  it('an app without a secret gets no scheduled task by default; one with a secret keeps its access_token fresh', async () => {
    await writeJson('open-bridge.config.json', {
      apps: [{ platform: 'weixin-mp', appid: 'wxa' }, { platform: 'qq-app', appid: 'qqa', secret: 's' }, goodApp],
    })
    const config = await load()
    expect(config.apps.map((a) => a.tasks)).toEqual([[], [], ['accessToken']])
  })

  it('reads a .mjs file that default-exports the object, and --config relative to the working directory', async () => {
    await writeFile(
      join(dir, 'custom.mjs'),
      `export default { server: { port: 9999 }, apps: [${JSON.stringify(goodApp)}] }\n`,
    )
    const config = await load({ configPath: 'custom.mjs' })
    expect(config.server.port).toBe(9999)
    expect(config.apps[0]!.appid).toBe(goodApp.appid)
  })

  it('a --config file that does not exist, is not JSON, or fails to load is E_CONFIG_FILE — without quoting the file', async () => {
    await expect(load({ configPath: 'missing.json' })).rejects.toMatchObject({
      code: 'E_CONFIG_FILE',
      field: 'missing.json',
    })

    await writeFile(join(dir, 'open-bridge.config.json'), `{ "apps": [{ "secret": "${SECRET}" oops }] }`)
    const broken = await errorOf(load())
    expect(broken).toMatchObject({ code: 'E_CONFIG_FILE', field: 'open-bridge.config.json' })
    expect(broken.message).toMatch(/not valid JSON \(at line 1, column \d+\)/)
    expect(broken.message).not.toContain(SECRET)

    await writeFile(join(dir, 'bad.mjs'), `export default { secret: "${SECRET}" ) }\n`)
    const bad = await errorOf(load({ configPath: 'bad.mjs' }))
    expect(bad).toMatchObject({ code: 'E_CONFIG_FILE', field: 'bad.mjs' })
    expect(bad.message).not.toContain(SECRET)
    expect(JSON.stringify(bad)).not.toContain(SECRET)
  })
})

describe('loadConfig: each bad field is named, and no message holds a secret', () => {
  const cases: Array<[string, unknown, string, RegExp?]> = [
    [
      'a secret of the wrong type',
      { apps: [goodApp, { ...goodApp, appid: 'wx2', dcloudAppid: '__UNI__B', secret: 42 }] },
      'apps[1].secret',
      /string or \{ "env"/,
    ],
    ['an unknown platform', { apps: [{ ...goodApp, platform: 'weixin' }] }, 'apps[0].platform', /weixin-mp, weixin-h5/],
    ['a missing appid', { apps: [{ platform: 'weixin-mp', secret: SECRET }] }, 'apps[0].appid', /is required/],
    ['an appid with a colon', { apps: [{ ...goodApp, appid: 'wx:1' }] }, 'apps[0].appid', /without ':'/],
    [
      'an unknown task name',
      { apps: [{ ...goodApp, tasks: ['accessToken', 'acessToken'] }] },
      'apps[0].tasks[1]',
      /accessToken, ticket/,
    ],
    [
      'a ticket task on a mini-program',
      { apps: [{ ...goodApp, tasks: ['ticket'] }] },
      'apps[0].tasks[0]',
      /weixin-h5 only/,
    ],
    [
      'tasks without a secret',
      { apps: [{ platform: 'weixin-mp', appid: 'wx1', tasks: ['accessToken'] }] },
      'apps[0].tasks',
      /needs apps\[0\]\.secret/,
    ],
    [
      'a repeated appid',
      { apps: [goodApp, { ...goodApp, dcloudAppid: '__UNI__B' }] },
      'apps[1]',
      /again \(first at apps\[0\]\)/,
    ],
    ['an unknown top-level field', { store: ['memory'], apps: [goodApp] }, 'store', /not a known field/],
    [
      'an unknown store scheme',
      { stores: ['memory', `postgres://u:${REDIS_PASSWORD}@db/x`], apps: [goodApp] },
      'stores[1]',
      /store URL/,
    ],
    ['a redis URL without a host', { stores: [`redis://:${REDIS_PASSWORD}@`], apps: [goodApp] }, 'stores[0]'],
    [
      'a mongodb URL without a database',
      { stores: [`mongodb://u:${REDIS_PASSWORD}@127.0.0.1:27017`], apps: [goodApp] },
      'stores[0]',
      /database/,
    ],
    ['a bad memory option', { stores: ['memory?maxTtl=soon'] }, 'stores[0]', /maxTtl must be a positive integer/],
    ['an unknown memory option', { stores: ['memory?ttl=5'] }, 'stores[0]', /unknown memory option 'ttl'/],
    ['an empty sqlite path', { stores: ['sqlite:'] }, 'stores[0]', /must name a file/],
    ['a port out of range', { server: { port: 70000 }, apps: [goodApp] }, 'server.port', /<= 65535/],
    [
      'a bad trustProxy',
      { server: { auth: { trustProxy: { yes: 1 } } } },
      'server.auth.trustProxy',
      /boolean, a number of hops/,
    ],
    [
      'an ipAllowList that is not a list',
      { server: { auth: { ipAllowList: '10.0.0.1' } } },
      'server.auth.ipAllowList',
      /an array/,
    ],
    ['a zero request timeout', { server: { requestTimeoutMs: 0 } }, 'server.requestTimeoutMs', /≥ 1|>= 1/],
    ['a fractional connection cap', { server: { maxConnections: 1.5 } }, 'server.maxConnections', /integer/],
    [
      'a grace no longer than the drain',
      { server: { drainMs: 5000, shutdownGraceMs: 5000 } },
      'server.shutdownGraceMs',
      /greater than server\.drainMs/,
    ],
    ['an empty allowedHosts', { server: { allowedHosts: [] } }, 'server.allowedHosts', undefined],
    ['an empty audience', { server: { auth: { audience: '' } } }, 'server.auth.audience', undefined],
    [
      'acceptV1Signatures as a string',
      { server: { auth: { acceptV1Signatures: 'yes' } } },
      'server.auth.acceptV1Signatures',
      /boolean/,
    ],
    ['an unknown log level', { log: { level: 'verbose' } }, 'log.level', /fatal, error, warn, info/],
    ['a cron expression croner refuses', { schedule: { cron: 'every minute' } }, 'schedule.cron', /cron expression/],
    [
      'a jitter as long as the interval',
      { schedule: { cron: '*/5 * * * * *', jitterMs: 5000 } },
      'schedule.jitterMs',
      /shorter than the interval .*5000 ms/,
    ],
    ['an unknown time zone', { schedule: { timezone: 'Mars/Olympus' } }, 'schedule.timezone', /IANA/],
    ['a negative lock ttl', { refresh: { lock: { ttl: -1 } } }, 'refresh.lock.ttl', /> 0/],
    ['breaker: true', { refresh: { breaker: true } }, 'refresh.breaker', /false or \{ failures, cooldown \}/],
    ['an unknown refresh option', { refresh: { refreshAheadMs: 5 } }, 'refresh.refreshAheadMs', /not a known field/],
    ['a wechat baseUrl of the wrong type', { wechat: { baseUrl: 5 } }, 'wechat.baseUrl', /http\(s\) URL/],
    [
      'an accessTokenMode typo',
      { wechat: { accessTokenMode: { 'weixin-mp': 'stabel' } } },
      'wechat.accessTokenMode.weixin-mp',
      /stable, classic/,
    ],
  ]
  for (const [what, config, field, message] of cases) {
    it(`${what} → ${field}`, async () => {
      const error = await failureOf(config)
      expect(error.code).toBe('E_INVALID_CONFIG')
      expect(error.field).toBe(field)
      expect(error.message.startsWith(field)).toBe(true)
      if (message) expect(error.message).toMatch(message)
      for (const secret of [SECRET, REDIS_PASSWORD]) {
        expect(error.message).not.toContain(secret)
        expect(JSON.stringify(error)).not.toContain(secret)
      }
    })
  }

  it('an { env } secret whose variable is not set names the field and the variable', async () => {
    const error = await failureOf({ apps: [{ ...goodApp, secret: { env: 'WX_MP_SECRET' } }] })
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', field: 'apps[0].secret' })
    expect(error.message).toBe('apps[0].secret names environment variable WX_MP_SECRET, which is not set')
    const signing = await failureOf({ server: { auth: { signingSecret: { env: 'SIGN' } } } }, { SIGN: '' })
    expect(signing).toMatchObject({ code: 'E_INVALID_CONFIG', field: 'server.auth.signingSecret' })
  })

  it('a store URL from the environment works and its password stays out of the label', async () => {
    await writeJson('open-bridge.config.json', { stores: ['memory', { env: 'REDIS_URL' }] })
    const config = await load({ env: { REDIS_URL: `redis://app:${REDIS_PASSWORD}@127.0.0.1:6390/2` } })
    expect(config.stores[1]!.label).toBe('redis://app:***@127.0.0.1:6390/2')
    expect(JSON.stringify(config.stores)).not.toContain(REDIS_PASSWORD)
  })
})

describe('store URLs become working tiers', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(() => redis.stop())

  it('memory, redis, sqlite (a temp file) and mongodb, nearest first, each named', async () => {
    await writeJson('open-bridge.config.json', {
      stores: [
        'memory?max=100&maxTtl=60000',
        redis.url,
        'sqlite:./tiers/creds.db',
        'mongodb://127.0.0.1:1/app',
        'memory',
      ],
    })
    const config = await load()
    expect(config.stores.map((s) => s.name)).toEqual(['memory', 'redis', 'sqlite', 'mongodb', 'memory-2'])
    const stores = await createStores(config.stores)
    try {
      expect(stores.map((s) => s.name)).toEqual(['memory', 'redis', 'sqlite', 'mongodb', 'memory-2'])
      const record = { value: { access_token: 'round-trip' }, expiresAt: Date.now() + 60_000 }
      for (const store of [stores[0]!, stores[1]!, stores[2]!]) {
        await store.set('uni-id:weixin-mp:wx1:access-token', record)
        expect(await store.get('uni-id:weixin-mp:wx1:access-token')).toEqual(record)
      }
      expect(existsSync(join(dir, 'tiers', 'creds.db'))).toBe(true)
      expect(typeof stores[3]!.get).toBe('function') // the Mongo client connects on first use only
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })
})
