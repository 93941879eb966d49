/**
 * Registered kinds over the wire: a real central open-bridge (`startServer`, config file, WeCom source against the
 * fake WeCom on loopback, signing on) and business services built as `createBridge({ stores: [memoryStore()],
 * source: remoteBridge({ url, secret }) })` reading `bridge.credential(wecomCorpToken)`. One `gettoken` at the
 * fake for many remote readers; a token WeCom rejects is refreshed once at the centre (compare-and-refresh with
 * `ifValue`); durable kinds are refused (`E_KIND_NOT_SERVED`), unknown kinds are 404, a bad key field is a 400
 * naming it, and every route wants the signature.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import { startServer, type RunningServer } from '@open-bridge/server'
import { authorizerRefreshToken, wecomCorpToken, wecomPermanentCode, withCorpToken } from '@open-bridge/wechat-fetchers'
import { startFakeWecom, type FakeWecom } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EXPIRES_IN_HEADER, isRemoteError, kindRoutePath, remoteBridge, signRequest } from '../src/index.js'

const SECRET = 'kinds-centre-signing-secret-0123'
const CORP = 'wwremotekinds0001'
const APP_SECRET = 'corp-app-secret-remote-kinds-9c1d'
const APP = { corpId: CORP, agentId: '1000002' }

let fake: FakeWecom
let centre: RunningServer
let dir: string
const opened: CredentialBridge[] = []
const seen: unknown[] = []

beforeAll(async () => {
  fake = await startFakeWecom({ corps: [{ corpId: CORP, agents: [{ agentId: 1000002, secret: APP_SECRET }] }] })
  dir = await mkdtemp(join(tmpdir(), 'ob-remote-kinds-'))
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory', 'sqlite:./centre.db'],
      schedule: { enable: false },
      server: { host: '127.0.0.1', port: 0, auth: { signingSecret: { env: 'OB_TEST_SIGNING' } } },
      wecom: { baseUrl: fake.url, apps: [{ corpId: CORP, agentId: 1000002, secret: { env: 'OB_TEST_WECOM' } }] },
      log: { level: 'silent' },
    }),
  )
  centre = await startServer({ cwd: dir, env: { OB_TEST_SIGNING: SECRET, OB_TEST_WECOM: APP_SECRET } })
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((bridge) => bridge.close()))
})
afterAll(async () => {
  await centre?.close()
  await fake?.close()
  await rm(dir, { recursive: true, force: true })
  // No error any test met shows the signing secret, the app secret or a signature header.
  const shown = seen.map((error) => `${inspect(error, { depth: 5 })}${JSON.stringify(error)}`).join('\n')
  expect(shown).not.toContain(SECRET)
  expect(shown).not.toContain(APP_SECRET)
})

function service(secret = SECRET): CredentialBridge {
  const bridge = createBridge({ stores: [memoryStore()], source: remoteBridge({ url: centre.url, secret }) })
  opened.push(bridge)
  return bridge
}

async function failure(work: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await work
  } catch (error) {
    seen.push(error)
    return error as Record<string, unknown>
  }
  throw new Error('expected a failure')
}

/** A raw request to a kind route, signed unless `signed` is false. */
async function post(
  path: string,
  body: unknown,
  { signed = true, method = 'POST' }: { signed?: boolean; method?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> | null; expiresIn: string | null }> {
  const text = JSON.stringify(body)
  const url = new URL(path, centre.url)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (signed)
    Object.assign(
      headers,
      signRequest({ secret: SECRET, method, path, audience: url.host, ...(method === 'POST' ? { body: text } : {}) }),
    )
  const response = await fetch(url, { method, headers, ...(method === 'POST' ? { body: text } : {}) })
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> | null,
    expiresIn: response.headers.get(EXPIRES_IN_HEADER),
  }
}

/** The business call of the fake WeCom: fails as WeCom does when the token is no good. */
const business = async (token: string): Promise<string> => {
  const reply = (await (await fetch(`${fake.url}/cgi-bin/fake/business?access_token=${token}`)).json()) as {
    errcode: number
    errmsg: string
  }
  if (reply.errcode !== 0)
    throw Object.assign(new Error(reply.errmsg), { code: 'E_PLATFORM_API', errcode: reply.errcode })
  return token
}

describe('remoteBridge reads registered kinds from the centre', () => {
  it("twenty business services read the centre's corp token: one gettoken at WeCom, the centre's life travels", async () => {
    await centre.bridge.credential(wecomCorpToken).remove(APP)
    const before = fake.calls('gettoken')
    const services = Array.from({ length: 20 }, () => service())
    const tokens = await Promise.all(services.map((bridge) => bridge.credential(wecomCorpToken).get(APP)))
    expect(tokens[0]?.access_token).toMatch(/\S/)
    for (const token of tokens) expect(token).toEqual(tokens[0])
    expect(fake.calls('gettoken') - before).toBe(1)
    expect(await centre.bridge.credential(wecomCorpToken).get(APP)).toEqual(tokens[0])
    // The life the centre stated (7200 s at the fake), not the 60 s used without x-ob-expires-in.
    const record = await services[0]!.getRecord(wecomCorpToken.name as never, APP as never)
    expect(record!.expiresAt! - Date.now()).toBeGreaterThan(3600_000)
    // Read again: from each service's own memory tier, WeCom and the centre untouched.
    await Promise.all(services.map((bridge) => bridge.credential(wecomCorpToken).get(APP)))
    expect(fake.calls('gettoken') - before).toBe(1)
  })

  it('withCorpToken on a rejected token: one compare-and-refresh at the centre for every reporter (ifValue = the dead token)', async () => {
    const services = Array.from({ length: 10 }, () => service())
    const dead = (await services[0]!.credential(wecomCorpToken).get(APP))!.access_token
    await Promise.all(services.map((bridge) => bridge.credential(wecomCorpToken).get(APP)))
    expect(fake.revokeToken(dead)).toBe(true)
    const before = fake.calls('gettoken')
    const used = await Promise.all(services.map((bridge) => withCorpToken(bridge, APP, business)))
    expect(new Set(used).size).toBe(1)
    expect(used[0]).not.toBe(dead)
    expect(fake.calls('gettoken') - before).toBe(1)
    expect((await centre.bridge.credential(wecomCorpToken).get(APP))!.access_token).toBe(used[0])
    // A late reporter of the same dead token is answered the replacement: no further gettoken.
    const late = service()
    expect((await late.credential(wecomCorpToken).refresh(APP, { ifValue: dead }))!.access_token).toBe(used[0])
    expect(fake.calls('gettoken') - before).toBe(1)
  })

  it('the refresh route compares: ifValue of a replaced token reads back, ifValue of the current one fetches', async () => {
    const current = (await centre.bridge.credential(wecomCorpToken).get(APP))!.access_token
    const before = fake.calls('gettoken')
    const stale = await post(kindRoutePath('wecom_corp_token', 'refresh'), { key: APP, ifValue: 'AT_long_gone' })
    expect(stale.status).toBe(200)
    expect(stale.body).toEqual({ access_token: current })
    expect(fake.calls('gettoken')).toBe(before)
    const fresh = await post(kindRoutePath('wecom_corp_token', 'refresh'), { key: APP, ifValue: current })
    expect(fresh.status).toBe(200)
    expect(fresh.body!.access_token).not.toBe(current)
    expect(Number(fresh.expiresIn)).toBeGreaterThan(3600)
    expect(fake.calls('gettoken')).toBe(before + 1)
  })

  it('a durable kind is refused (E_KIND_NOT_SERVED), through remoteBridge and on every route; nothing of it is sent', async () => {
    const key = { componentAppid: 'wxc0mp0nentremote1', authorizerAppid: 'wxacc0untremote001' }
    const error = await failure(service().credential(authorizerRefreshToken).get(key))
    expect(isRemoteError(error, 'E_KIND_NOT_SERVED')).toBe(true)
    expect(error).toMatchObject({ status: 403, route: kindRoutePath('authorizer_refresh_token', 'get') })
    expect(String(error.message)).toMatch(/durable/)

    await centre.bridge
      .credential(wecomPermanentCode)
      .set({ suiteId: 'wwsuite01', corpId: CORP }, { permanent_code: 'PERMANENT-never-over-http', agent_ids: '1' })
    for (const operation of ['get', 'set', 'remove', 'refresh'] as const) {
      const body =
        operation === 'set'
          ? { key: { suiteId: 'wwsuite01', corpId: CORP }, value: { permanent_code: 'x', agent_ids: '1' } }
          : { key: { suiteId: 'wwsuite01', corpId: CORP } }
      const answer = await post(kindRoutePath('wecom_permanent_code', operation), body)
      expect(answer.status).toBe(403)
      expect(answer.body).toMatchObject({ errCode: 'E_KIND_NOT_SERVED' })
      expect(JSON.stringify(answer.body)).not.toContain('PERMANENT-never-over-http')
    }
    // Still there: the refused remove removed nothing.
    expect(
      (await centre.bridge.credential(wecomPermanentCode).get({ suiteId: 'wwsuite01', corpId: CORP }))?.permanent_code,
    ).toBe('PERMANENT-never-over-http')
  })

  it('an unknown kind is 404 E_UNKNOWN_KIND; a built-in kind has its own routes', async () => {
    const unknown = await post(kindRoutePath('no_such_kind', 'get'), { key: { a: 'b' } })
    expect(unknown).toMatchObject({ status: 404, body: { errCode: 'E_UNKNOWN_KIND' } })
    expect(String(unknown.body!.errMsg)).toContain('no_such_kind')
    const builtIn = await post(kindRoutePath('access_token', 'get'), { key: { appid: 'wx1', platform: 'weixin-mp' } })
    expect(builtIn).toMatchObject({ status: 404, body: { errCode: 'E_UNKNOWN_KIND' } })
    // Another method on a kind route's path: 405 naming POST, as the other routes answer.
    const got = await post(kindRoutePath('wecom_corp_token', 'get'), undefined, { method: 'GET' })
    expect(got).toMatchObject({
      status: 405,
      body: { errCode: 'E_METHOD_NOT_ALLOWED', errMsg: 'this path answers POST only' },
    })
  })

  it("a bad key field is 400 naming it (core's check of the kind); a bad body field is 400 naming it", async () => {
    const missing = await post(kindRoutePath('wecom_corp_token', 'get'), { key: { corpId: CORP } })
    expect(missing).toMatchObject({ status: 400, body: { errCode: 'E_INVALID_KEY' } })
    expect(String(missing.body!.errMsg)).toMatch(/^key\.agentId /)
    const colon = await post(kindRoutePath('wecom_corp_token', 'get'), { key: { corpId: 'ww:1', agentId: '1' } })
    expect(colon).toMatchObject({ status: 400, body: { errCode: 'E_INVALID_KEY' } })
    expect(String(colon.body!.errMsg)).toMatch(/^key\.corpId /)
    const typo = await post(kindRoutePath('wecom_corp_token', 'set'), {
      key: APP,
      value: { access_token: 'AT_x' },
      expires_in: 60,
    })
    expect(typo).toMatchObject({
      status: 400,
      body: { errCode: 'E_INVALID_BODY', errMsg: 'body.expires_in is not allowed' },
    })
    const noKey = await post(kindRoutePath('wecom_corp_token', 'get'), {})
    expect(noKey).toMatchObject({ status: 400, body: { errCode: 'E_INVALID_BODY', errMsg: 'body.key is required' } })
  })

  it('set, get (with x-ob-expires-in), remove of a non-durable kind over the routes', async () => {
    const key = { corpId: CORP, agentId: 'contacts' }
    const set = await post(kindRoutePath('wecom_corp_token', 'set'), {
      key,
      value: { access_token: 'AT_set' },
      expiresIn: 600,
    })
    expect(set).toMatchObject({ status: 200, body: null })
    const got = await post(kindRoutePath('wecom_corp_token', 'get'), { key })
    expect(got.body).toEqual({ access_token: 'AT_set' })
    expect(Number(got.expiresIn)).toBeGreaterThan(500)
    expect(Number(got.expiresIn)).toBeLessThanOrEqual(600)
    const badValue = await post(kindRoutePath('wecom_corp_token', 'set'), { key, value: { token: 'AT_x' } })
    expect(badValue).toMatchObject({ status: 400, body: { errCode: 'E_INVALID_VALUE' } })
    expect(await post(kindRoutePath('wecom_corp_token', 'remove'), { key })).toMatchObject({ status: 200, body: null })
    expect(await centre.bridge.credential(wecomCorpToken).get(key)).toBeNull()
  })

  it('every kind route wants the signature: unsigned is 401, a wrong secret is E_REMOTE_UNAUTHORIZED', async () => {
    for (const operation of ['get', 'set', 'remove', 'refresh'] as const) {
      const body = operation === 'set' ? { key: APP, value: { access_token: 'AT_unsigned' } } : { key: APP }
      const answer = await post(kindRoutePath('wecom_corp_token', operation), body, { signed: false })
      expect(answer).toMatchObject({ status: 401, body: { errCode: 'E_UNAUTHORIZED' } })
    }
    expect((await centre.bridge.credential(wecomCorpToken).get(APP))?.access_token).not.toBe('AT_unsigned')
    const error = await failure(service('not-the-centre-secret-0123456789').credential(wecomCorpToken).get(APP))
    expect(isRemoteError(error, 'E_REMOTE_UNAUTHORIZED')).toBe(true)
  })
})
