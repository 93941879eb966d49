/**
 * The WeCom suite command callback route of the service, over real HTTP: the fake WeCom verifies the URL and pushes
 * to it (ticket, create_auth, cancel_auth) while the service's own request signing stays on for every other route.
 * WeCom's msg_signature is the route's only authentication. Nothing secret in a log line or an answer.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, type CredentialBridge } from '@open-bridge/core'
import {
  wecomCorpToken,
  wecomPermanentCode,
  wecomSource,
  wecomSuiteTicket,
  type WecomSource,
} from '@open-bridge/wechat-fetchers'
import { startFakeWecom, type FakeWecom } from '@open-bridge/wechat-fetchers/testing'
import { Ajv } from 'ajv'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveWecomConfig, wecomConfigSchema } from '../src/wecom/wecom-config.js'
import { LogLines, SECRET, startApp, type Running } from './http-support.js'

const SUITE = 'wwsuiteserver0001'
const SUITE_SECRET = 'suite-secret-server-5a6b7c8d9e0f'
const TOKEN = 'ServerSuiteToken1'
const AES_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg'
const CORP = 'wwserverauthcorp1'

let dir: string
let fake: FakeWecom
let source: WecomSource
let bridge: CredentialBridge
let server: Running
let logs: LogLines

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ob-wecom-route-'))
  fake = await startFakeWecom({
    suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET, token: TOKEN, encodingAESKey: AES_KEY }],
  })
  source = wecomSource({ suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET }], baseUrl: fake.url })
  bridge = createBridge({ stores: [memoryStore(), sqliteStore({ path: join(dir, 'route.db') })], source })
  logs = new LogLines()
  server = await startApp({
    bridge,
    auth: { signingSecret: SECRET },
    logger: { level: 'trace', stream: logs },
    wecom: { source, suites: [{ suiteId: SUITE, token: TOKEN, encodingAESKey: AES_KEY }] },
  })
  fake.setCallbackUrl(SUITE, `${server.base}/wecom/suites/${SUITE}/callback`)
})
afterEach(async () => {
  await server.close()
  await bridge.close()
  await fake.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the suite command callback route', () => {
  it('answers WeCom whatever Host it names, though the service refuses other routes outside allowedHosts', async () => {
    const guarded = await startApp({
      bridge,
      auth: { signingSecret: SECRET },
      allowedHosts: ['bridge.example.com'],
      wecom: { source, suites: [{ suiteId: SUITE, token: TOKEN, encodingAESKey: AES_KEY }] },
    })
    try {
      fake.setCallbackUrl(SUITE, `${guarded.base}/wecom/suites/${SUITE}/callback`)
      expect(await fake.verifyCallbackUrl(SUITE)).toMatchObject({ status: 200, verified: true })
      expect((await fetch(`${guarded.base}/getAccessToken`, { method: 'POST' })).status).toBe(421)
    } finally {
      await guarded.close()
    }
  })

  it('WeCom’s URL check is answered with the echo though the service signs every other route', async () => {
    expect(await fake.verifyCallbackUrl(SUITE)).toMatchObject({ status: 200, verified: true })
    // The service's own routes still need a signature.
    expect(
      (await server.post('/getAccessToken', { appid: 'wxapp1', platform: 'weixin-mp' }, { sign: false })).status,
    ).toBe(401)
  })

  it('pushes are applied: ticket stored, create_auth exchanged, the corp read, cancel_auth removes it', async () => {
    const { ticket, push } = await fake.pushSuiteTicket(SUITE)
    expect(push.reply).toMatchObject({ status: 200, text: 'success' })
    expect((await bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE }))!.suite_ticket).toBe(ticket)
    expect((await fake.authorize(SUITE, CORP, { agentIds: [1000009] })).reply.text).toBe('success')
    const code = fake.permanentCodeOf(SUITE, CORP)!
    expect((await bridge.credential(wecomPermanentCode).get({ suiteId: SUITE, corpId: CORP }))!.permanent_code).toBe(
      code,
    )
    const token = await bridge.credential(wecomCorpToken).get({ corpId: CORP, agentId: '1000009' })
    expect(token!.access_token).toMatch(/^CORP_/)
    expect((await fake.cancelAuth(SUITE, CORP)).reply.text).toBe('success')
    await expect(bridge.credential(wecomPermanentCode).get({ suiteId: SUITE, corpId: CORP })).rejects.toMatchObject({
      code: 'E_PUSHED_MISSING',
    })
    const text = logs.text
    expect(text).toContain('wecom suite push')
    for (const secret of [code, ticket, SUITE_SECRET, TOKEN, AES_KEY, token!.access_token])
      expect(text).not.toContain(secret)
  })

  it('a forged push is 400 and stores nothing; an unconfigured suite’s path keeps the service’s auth (401)', async () => {
    const url = `${server.base}/wecom/suites/${SUITE}/callback?msg_signature=${'0'.repeat(40)}&timestamp=1&nonce=1`
    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: `<xml><ToUserName><![CDATA[${SUITE}]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>`,
    })
    expect(forged.status).toBe(400)
    expect(await forged.text()).toBe('refused')
    await expect(bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE })).rejects.toMatchObject({
      code: 'E_PUSHED_MISSING',
    })
    expect((await fetch(`${server.base}/wecom/suites/other/callback`)).status).toBe(401)
  })
})

describe('the wecom config', () => {
  const validate = new Ajv({ strict: true }).compile(wecomConfigSchema)

  it('the schema takes apps, suites and a provider with { env } secrets, and refuses unknown fields', () => {
    const config = {
      apps: [{ corpId: 'ww1', agentId: 1000002, secret: { env: 'WECOM_APP_SECRET' } }],
      suites: [{ suiteId: 'ws1', suiteSecret: { env: 'S' }, token: 'T', encodingAESKey: { env: 'K' } }],
      provider: { corpId: 'ww1', providerSecret: { env: 'P' } },
      baseUrl: 'http://127.0.0.1:1',
    }
    expect(validate(config)).toBe(true)
    expect(validate({ apps: [{ corpId: 'a:b', agentId: 1, secret: 's' }] })).toBe(false)
    expect(validate({ suites: [{ suiteId: 'ws1', suiteSecret: 's' }] })).toBe(false)
    expect(validate({ extra: true })).toBe(false)
  })

  it('secrets are read from the environment; an unset variable names the field, never a value', () => {
    const env = { APP: 'app-secret-value', S: 'suite-secret-value', K: AES_KEY, P: 'provider-secret-value' }
    const resolved = resolveWecomConfig(
      {
        apps: [
          { corpId: 'ww1', agentId: 1, secret: { env: 'APP' } },
          { corpId: 'ww1', agentId: '2', secret: 'inline' },
        ],
        suites: [{ suiteId: 'ws1', suiteSecret: { env: 'S' }, token: 'T', encodingAESKey: { env: 'K' } }],
        provider: { corpId: 'ww1', providerSecret: { env: 'P' } },
      },
      env,
    )
    expect(resolved.source.corps).toEqual([
      {
        corpId: 'ww1',
        agents: [
          { agentId: 1, secret: 'app-secret-value' },
          { agentId: '2', secret: 'inline' },
        ],
      },
    ])
    expect(resolved.source.suites).toEqual([{ suiteId: 'ws1', suiteSecret: 'suite-secret-value' }])
    expect(resolved.suites).toEqual([{ suiteId: 'ws1', token: 'T', encodingAESKey: AES_KEY }])
    expect(resolved.source.provider).toEqual({ corpId: 'ww1', providerSecret: 'provider-secret-value' })
    expect(() =>
      resolveWecomConfig(
        { suites: [{ suiteId: 'ws1', suiteSecret: 's', token: { env: 'UNSET_X' }, encodingAESKey: 'k' }] },
        {},
      ),
    ).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'wecom.suites[0].token' }))
  })
})
