import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryStore, type CredentialBridge } from '@open-bridge/core'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CREDENTIAL_ROUTES } from '../src/index.js'
import { memoryBridge, startApp, SECRET, type Running } from './http-support.js'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-server-http-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** One credential of each kind: the body that names it (by dcloudAppid) and a value to store. */
const CASES = [
  { name: 'AccessToken', key: { dcloudAppid: '__UNI__A', platform: 'weixin-mp' }, value: { access_token: 'AT-secret-1' } },
  { name: 'UserAccessToken', key: { dcloudAppid: '__UNI__A', platform: 'weixin-h5', openid: 'o1' }, value: { access_token: 'UAT-1', refresh_token: 'RT-1' } },
  { name: 'SessionKey', key: { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o1' }, value: { session_key: 'SK-1' } },
  { name: 'EncryptKey', key: { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o1', version: 3 }, value: { encrypt_key: 'EK-1', iv: 'IV-1' } },
  { name: 'Ticket', key: { dcloudAppid: '__UNI__A', platform: 'weixin-h5' }, value: { ticket: 'TK-1' } },
] as const

const tiers = [
  { tier: 'memory', stores: () => [memoryStore()] },
  { tier: 'memory + sqlite file', stores: () => [memoryStore(), sqliteStore({ path: join(dir, `c-${Math.random()}.db`) })] },
]

describe.each(['127.0.0.1', '::1'])('the 15 uni-open-bridge routes over real HTTP on %s', (host) => {
  describe.each(tiers)('$tier', ({ stores }) => {
    let bridge: CredentialBridge
    let server: Running
    beforeEach(async () => {
      bridge = memoryBridge(stores())
      server = await startApp({ bridge, auth: { signingSecret: SECRET } }, host)
    })
    afterEach(async () => {
      await server.close()
      await bridge.close()
    })

    it.each(CASES)('set / get / remove $name round-trip', async ({ name, key, value }) => {
      expect(await server.post(`/get${name}`, key)).toMatchObject({ status: 200, json: null })
      const set = await server.post(`/set${name}`, { ...key, value, expiresIn: 7200 })
      expect(set).toMatchObject({ status: 200, json: null })
      expect(set.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await server.post(`/get${name}`, key)).toMatchObject({ status: 200, json: value })
      // The bridge holds what the route wrote, and the appid spelling of the key finds it too.
      expect(await bridge.get(kindOf(name), key as never)).toEqual(value)
      const byAppid = { ...key, dcloudAppid: undefined, appid: key.platform === 'weixin-mp' ? 'wxapp1' : 'wxh5app' }
      expect(await server.post(`/get${name}`, JSON.parse(JSON.stringify(byAppid)))).toMatchObject({ status: 200, json: value })
      expect(await server.post(`/remove${name}`, key)).toMatchObject({ status: 200, json: null })
      expect(await server.post(`/get${name}`, key)).toMatchObject({ status: 200, json: null })
      expect(await bridge.get(kindOf(name), key as never)).toBeNull()
    })

    it('set without expiresIn keeps the value (never expires), as uni-open-bridge does', async () => {
      const key = { appid: 'wxapp1', platform: 'weixin-mp', openid: 'o2' }
      expect((await server.post('/setSessionKey', { ...key, value: { session_key: 'k' } })).status).toBe(200)
      expect((await server.post('/getSessionKey', key)).json).toEqual({ session_key: 'k' })
    })
  })
})

describe('refresh routes', () => {
  let bridge: CredentialBridge
  let server: Running
  beforeEach(async () => {
    bridge = memoryBridge()
    server = await startApp({ bridge, auth: {} })
  })
  afterEach(async () => {
    await server.close()
    await bridge.close()
  })

  it('exist for the four refreshable kinds and nothing else', () => {
    expect(CREDENTIAL_ROUTES.filter((r) => r.operation === 'refresh').map((r) => r.method)).toEqual([
      'refreshAccessToken',
      'refreshUserAccessToken',
      'refreshEncryptKey',
      'refreshTicket',
    ])
    expect(CREDENTIAL_ROUTES.filter((r) => r.operation !== 'refresh')).toHaveLength(15)
  })

  it.each([
    ['refreshAccessToken', { dcloudAppid: '__UNI__A', platform: 'weixin-mp', ifValue: 'old' }],
    ['refreshTicket', { dcloudAppid: '__UNI__A', platform: 'weixin-h5', ifValue: 'old' }],
    ['refreshEncryptKey', { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o', version: 1 }],
    ['refreshUserAccessToken', { dcloudAppid: '__UNI__A', platform: 'weixin-h5', openid: 'o', ifValue: 'x' }],
  ])('%s calls the bridge method when it has one, else answers 501', async (method, body) => {
    const has = typeof (bridge as unknown as Record<string, unknown>)[method] === 'function'
    const answer = await server.post(`/${method}`, body, { sign: false })
    if (has) {
      expect(answer.status).toBe(200)
    } else {
      expect(answer).toMatchObject({ status: 501, json: { errCode: 'E_NOT_IMPLEMENTED' } })
    }
  })

  it('passes ifValue through to the bridge method and answers its result', async () => {
    const calls: unknown[] = []
    const fake = Object.assign(memoryBridge(), {
      refreshAccessToken: async (key: unknown, options: unknown) => {
        calls.push([key, options])
        return { access_token: 'new' }
      },
    })
    const other = await startApp({ bridge: fake, auth: {} })
    try {
      const answer = await other.post('/refreshAccessToken', { appid: 'wxapp1', platform: 'weixin-mp', ifValue: 'old' }, { sign: false })
      expect(answer).toMatchObject({ status: 200, json: { access_token: 'new' } })
      expect(calls).toEqual([[{ appid: 'wxapp1', platform: 'weixin-mp', ifValue: 'old' }, { ifValue: 'old' }]])
      const unconditional = await other.post('/refreshAccessToken', { appid: 'wxapp1', platform: 'weixin-mp' }, { sign: false })
      expect(unconditional.status).toBe(200)
      expect(calls[1]).toEqual([{ appid: 'wxapp1', platform: 'weixin-mp' }, {}])
    } finally {
      await other.close()
      await fake.close()
    }
  })
})

function kindOf(name: string) {
  return ({ AccessToken: 'access_token', UserAccessToken: 'user_access_token', SessionKey: 'session_key', EncryptKey: 'encrypt_key', Ticket: 'ticket' } as const)[
    name as 'Ticket'
  ]
}
