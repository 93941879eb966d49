import type { WecomSource } from '@open-bridge/wechat-fetchers'
/**
 * Type tests of `@open-bridge/server`'s public API: `buildApp` options, the config types, `startServer`, errors.
 * Checked by tsc (vitest typecheck), never executed.
 */
import type { CredentialBridge, CredentialStore } from '@open-bridge/core'
import {
  ServerError,
  buildApp,
  isServerError,
  loadConfig,
  openConfiguredBridge,
  startServer,
  type AppOptions,
  type ConfigFile,
  type ErrorBody,
  type ReadinessReport,
  type RunningServer,
  type ScheduleTask,
  type ServerErrorCode,
  type ServiceConfig,
} from '@open-bridge/server'
import type { FastifyInstance } from 'fastify'
import { describe, expectTypeOf, test } from 'vitest'

declare const bridge: CredentialBridge
declare const caught: unknown

describe('buildApp options', () => {
  test('a bridge and auth are required; the result is a fastify instance', () => {
    expectTypeOf(buildApp({ bridge, auth: {} })).toEqualTypeOf<FastifyInstance>()
    // @ts-expect-error auth is required (an empty object for none)
    buildApp({ bridge })
    // @ts-expect-error bridge is required
    buildApp({ auth: {} })
  })

  test('the typed options', () => {
    expectTypeOf(buildApp).toBeCallableWith({
      bridge,
      auth: { ipAllowList: ['10.0.0.0/8', '::1'], trustProxy: 1, signingSecret: 'a-signing-secret-of-16+' },
      bodyLimit: 65_536,
      logger: { level: 'warn' },
      readiness: async (): Promise<ReadinessReport> => ({ ready: true, tiers: [{ name: 'memory', state: 'up' }] }),
      metrics: { render: async () => ({ contentType: 'text/plain', body: '' }) },
      expiryOf: async (_storageKey: string) => null,
    })
  })

  test('wrong options do not compile', () => {
    // @ts-expect-error the bridge is a CredentialBridge, not a store
    buildApp({ bridge: {} as CredentialStore, auth: {} })
    // @ts-expect-error ipAllowList is an array of IPs / CIDRs
    buildApp({ bridge, auth: { ipAllowList: '10.0.0.0/8' } })
    // @ts-expect-error uni-open-bridge's spelling is not an option here
    buildApp({ bridge, auth: { ipWhiteList: ['127.0.0.1'] } })
    // @ts-expect-error a tier state is up, down or open
    buildApp({ bridge, auth: {}, readiness: async () => ({ ready: true, tiers: [{ name: 'm', state: 'ok' }] }) })
    // @ts-expect-error no such option
    buildApp({ bridge, auth: {}, port: 8787 })
  })

  test('the options type', () => {
    expectTypeOf<AppOptions['bridge']>().toEqualTypeOf<CredentialBridge>()
    expectTypeOf<AppOptions['bodyLimit']>().toEqualTypeOf<number | undefined>()
  })
})

describe('config', () => {
  test('a config file object is typed', () => {
    const config = {
      stores: ['memory', 'redis://127.0.0.1:6379', { env: 'DURABLE_STORE' }],
      apps: [{ dcloudAppid: '__UNI__1', platform: 'weixin-mp', appid: 'wx1', secret: { env: 'WX_SECRET' } }],
      schedule: { enable: true, cron: '0 * * * * *', jitterMs: 5_000 },
      server: { host: '0.0.0.0', port: 8787, auth: { signingSecret: { env: 'SIGNING_SECRET' } } },
      log: { level: 'info' },
    } satisfies ConfigFile
    expectTypeOf(config).toExtend<ConfigFile>()
  })

  test('wrong config fields do not compile', () => {
    // @ts-expect-error not a platform
    const _app: ConfigFile = { apps: [{ platform: 'mp-weixin', appid: 'wx1' }] }
    // @ts-expect-error a task is accessToken or ticket
    const _task: ConfigFile = { apps: [{ platform: 'weixin-h5', appid: 'wx1', tasks: ['jsapiTicket'] }] }
    // @ts-expect-error a secret is a string or { env }
    const _secret: ConfigFile = { apps: [{ platform: 'weixin-h5', appid: 'wx1', secret: { file: '/run/s' } }] }
    // @ts-expect-error not a log level
    const _log: ConfigFile = { log: { level: 'verbose' } }
    // @ts-expect-error port is a number
    const _port: ConfigFile = { server: { port: '8787' } }
    // @ts-expect-error no such section
    const _unknown: ConfigFile = { cache: {} }
  })

  test('loadConfig resolves the ServiceConfig; openConfiguredBridge opens it', () => {
    expectTypeOf(loadConfig({ configPath: 'open-bridge.config.json', cwd: '/srv' })).toEqualTypeOf<
      Promise<ServiceConfig>
    >()
    expectTypeOf<ServiceConfig['apps'][number]['tasks']>().toEqualTypeOf<ScheduleTask[]>()
    expectTypeOf<ScheduleTask>().toEqualTypeOf<'accessToken' | 'ticket'>()
    expectTypeOf(openConfiguredBridge).returns.resolves.toEqualTypeOf<{
      bridge: CredentialBridge
      stores: CredentialStore[]
      wecom?: WecomSource
    }>()
    // @ts-expect-error stores are URLs
    void loadConfig({ stores: [1] })
  })

  test('startServer resolves the running server', () => {
    expectTypeOf(startServer({ handleSignals: true, shutdownTimeoutMs: 10_000 })).toEqualTypeOf<
      Promise<RunningServer>
    >()
    expectTypeOf<RunningServer['url']>().toEqualTypeOf<string>()
    expectTypeOf<RunningServer['close']>().toEqualTypeOf<() => Promise<void>>()
    // @ts-expect-error shutdownTimeoutMs is a number of ms
    void startServer({ shutdownTimeoutMs: '10s' })
  })
})

describe('routes and errors', () => {
  test('an error body is { errCode, errMsg } with optional platform details', () => {
    expectTypeOf<ErrorBody>().toEqualTypeOf<{
      errCode: string
      errMsg: string
      platformErrcode?: number
      category?: string
    }>()
  })

  test('ServerError code is the package union', () => {
    expectTypeOf<ServerError['code']>().toEqualTypeOf<ServerErrorCode>()
    expectTypeOf<ServerError['statusCode']>().toEqualTypeOf<number | undefined>()
    // @ts-expect-error not a server code
    void new ServerError('E_NOPE', 'x')
    if (isServerError(caught)) {
      expectTypeOf(caught.code).toEqualTypeOf<ServerErrorCode>()
      // @ts-expect-error a code this package never throws
      void (caught.code === 'E_REDIS_AUTH')
    }
    // @ts-expect-error not a server code
    isServerError(caught, 'E_NOPE')
  })
})
