import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBridge, memoryStore, type CredentialBridge, type CredentialSource } from '@open-bridge/core'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CREDENTIAL_ROUTES } from '@open-bridge/remote'
import { APPS, memoryBridge, startApp, SECRET, type Running } from './http-support.js'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-server-http-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** One credential of each kind: the body that names it (by dcloudAppid) and a value to store. */
const CASES = [
  {
    name: 'AccessToken',
    key: { dcloudAppid: '__UNI__A', platform: 'weixin-mp' },
    value: { access_token: 'AT-secret-1' },
  },
  {
    name: 'UserAccessToken',
    key: { dcloudAppid: '__UNI__A', platform: 'weixin-h5', openid: 'o1' },
    value: { access_token: 'UAT-1', refresh_token: 'RT-1' },
  },
  {
    name: 'SessionKey',
    key: { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o1' },
    value: { session_key: 'SK-1' },
  },
  {
    name: 'EncryptKey',
    key: { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o1', version: 3 },
    value: { encrypt_key: 'EK-1', iv: 'IV-1' },
  },
  { name: 'Ticket', key: { dcloudAppid: '__UNI__A', platform: 'weixin-h5' }, value: { ticket: 'TK-1' } },
] as const

const tiers = [
  { tier: 'memory', stores: () => [memoryStore()] },
  {
    tier: 'memory + sqlite file',
    stores: () => [memoryStore(), sqliteStore({ path: join(dir, `c-${Math.random()}.db`) })],
  },
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
      expect(await server.post(`/get${name}`, JSON.parse(JSON.stringify(byAppid)))).toMatchObject({
        status: 200,
        json: value,
      })
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
    ['refreshAccessToken', 'access_token', { dcloudAppid: '__UNI__A', platform: 'weixin-mp' }],
    ['refreshTicket', 'ticket', { dcloudAppid: '__UNI__A', platform: 'weixin-h5' }],
    ['refreshEncryptKey', 'encrypt_key', { dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o', version: 1 }],
    ['refreshUserAccessToken', 'access_token', { dcloudAppid: '__UNI__A', platform: 'weixin-h5', openid: 'o' }],
  ] as const)('%s: compare-and-refresh through the bridge when core has it, else 501', async (method, field, key) => {
    // A source that answers a new value per fetch: v1, v2, …
    let fetches = 0
    const source: CredentialSource = {
      fetch: (async () => {
        fetches++
        return { value: { [field]: `v${fetches}`, ...(field === 'encrypt_key' ? { iv: 'iv' } : {}) }, expiresIn: 7200 }
      }) as CredentialSource['fetch'],
    }
    const withSource = createBridge({ stores: [memoryStore()], apps: APPS, source })
    const other = await startApp({ bridge: withSource, auth: {} })
    try {
      const getter = `/get${method.slice('refresh'.length)}`
      expect((await other.post(getter, key, { sign: false })).json).toMatchObject({ [field]: 'v1' })
      const first = await other.post(`/${method}`, { ...key, ifValue: 'v1' }, { sign: false })
      expect(first).toMatchObject({ status: 200, json: { [field]: 'v2' } })
      // A second report of the same dead value finds it already replaced: no fetch.
      const again = await other.post(`/${method}`, { ...key, ifValue: 'v1' }, { sign: false })
      expect(again).toMatchObject({ status: 200, json: { [field]: 'v2' } })
      expect(fetches).toBe(2)
      expect((await other.post(getter, key, { sign: false })).json).toMatchObject({ [field]: 'v2' })
    } finally {
      await other.close()
      await withSource.close()
    }
  })

  it('passes ifValue through: a stale report answers what is stored, no ifValue refreshes unconditionally', async () => {
    let fetches = 0
    const source: CredentialSource = {
      fetch: (async () => ({
        value: { access_token: `fetched${++fetches}` },
        expiresIn: 7200,
      })) as CredentialSource['fetch'],
    }
    const bridge = createBridge({ stores: [memoryStore()], apps: APPS, source })
    const other = await startApp({ bridge, auth: {} })
    const key = { appid: 'wxapp1', platform: 'weixin-mp' }
    try {
      await bridge.setAccessToken(key as never, { access_token: 'current' }, 7200)
      const stale = await other.post('/refreshAccessToken', { ...key, ifValue: 'old' }, { sign: false })
      expect(stale).toMatchObject({ status: 200, json: { access_token: 'current' } })
      expect(fetches).toBe(0)
      const unconditional = await other.post('/refreshAccessToken', key, { sign: false })
      expect(unconditional).toMatchObject({ status: 200, json: { access_token: 'fetched1' } })
      expect(fetches).toBe(1)
    } finally {
      await other.close()
      await bridge.close()
    }
  })
})

function kindOf(name: string) {
  return (
    {
      AccessToken: 'access_token',
      UserAccessToken: 'user_access_token',
      SessionKey: 'session_key',
      EncryptKey: 'encrypt_key',
      Ticket: 'ticket',
    } as const
  )[name as 'Ticket']
}
