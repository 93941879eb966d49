import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../test-support/redis-server.js'

/** The examples are run as a user runs them (plain node, against the built packages) and their output checked. */
const run = promisify(execFile)
const examples = fileURLToPath(new URL('..', import.meta.url))
const node = (file: string, env: Record<string, string> = {}) =>
  run(process.execPath, [file], { cwd: examples, env: { ...process.env, ...env } })

describe('examples', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(() => redis.stop())

  it('quick-start.mjs', async () => {
    const { stdout } = await node('quick-start.mjs')
    expect(stdout).toContain('read back what was set: true')
    expect(stdout).toContain('50 callers, 1 fallback call, all got the same ticket: true')
    expect(stdout).toContain('refused: E_INVALID_KEY key.openid')
  })

  it('three-tiers.mjs', async () => {
    const { stdout } = await node('three-tiers.mjs', { REDIS_URL: redis.url })
    expect(stdout).toContain('stored in redis: true - in sqlite: true')
    expect(stdout).toContain('read through the chain: true')
    expect(stdout).toContain('after remove: null')
    expect(stdout).not.toContain('failed')
  })

  it('wechat-with-fake.mjs', async () => {
    const { stdout } = await node('wechat-with-fake.mjs')
    expect(stdout).toContain('20 readers, stable_token calls: 1')
    expect(stdout).toContain('login stored for o-demo true')
    expect(stdout).toContain('wx.config: appId, timestamp, nonceStr, signature - token calls: 1 ticket calls: 1')
  })

  it('remote-business-service.mjs', async () => {
    const { stdout } = await node('remote-business-service.mjs')
    expect(stdout).toContain('business call: ok - attempts: 1')
    expect(stdout).toContain('forced rotation, old token revoked: true')
    expect(stdout).toContain('business call after the rotation: ok - attempts: 2 - token replaced: true')
    expect(stdout).toContain('tokens the centre fetched from WeChat: 2')
    expect(stdout).not.toMatch(/central-signing-secret|mp-test-secret/)
  })

  it('mini-program-login.mjs', async () => {
    const { stdout } = await node('mini-program-login.mjs')
    expect(stdout).toContain('logged in: o-demo-user')
    expect(stdout).toContain('profile: {"nickName":"Demo User","watermarkOk":true}')
    expect(stdout).toContain('a used code is refused: {"error":"E_PLATFORM_API"}')
    expect(stdout).not.toContain('session_key')
  })

  it('jssdk-config.mjs', async () => {
    const { stdout } = await node('jssdk-config.mjs')
    expect(stdout).toContain('wx.config fields: appId, timestamp, nonceStr, signature, jsApiList')
    expect(stdout).toContain('signed without the #fragment: true - with it: false')
    expect(stdout).toContain('10 pages configured - token calls: 1 - ticket calls: 1')
    expect(stdout).toContain('a relative URL is refused: {"error":"E_INVALID_ARGUMENT"}')
  })

  it.each(['sdk-wechat-api.mjs', 'sdk-co-wechat-api.mjs'])(
    '%s: the SDK fed from the bridge, its retry through compare-and-refresh',
    async (file) => {
      const { stdout } = await node(file)
      expect(stdout).toContain('6 business calls in 2 processes - token fetches: 1')
      expect(stdout).toContain('after a revoked token, every call recovered: true - new tokens issued: 1')
      expect(stdout).toContain('wx.config in 2 processes: 2 - getticket calls: 1')
    },
  )

  it('npm run demo (demo-workers.mjs): worker processes share one token fetched once', async () => {
    const { stdout } = await node('demo-workers.mjs')
    expect(stdout).toContain('4 worker processes, 100 reads')
    expect(stdout).toContain('upstream token calls: 1')
    expect(stdout).toContain('every worker got the same token: true')
  })
})
