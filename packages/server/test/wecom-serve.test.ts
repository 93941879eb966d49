/**
 * WeCom from the config file to a running service: `wecom.apps`, `wecom.suites` (secrets from the environment) load,
 * the bridge reads a self-built app's corp token beside WeChat's kinds (one source over both), the suite's command
 * callback URL is served and verified by the fake WeCom, a pushed suite ticket is stored, and nothing secret shows
 * in the resolved config's views or in a log line.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { wecomCorpToken, wecomSuiteTicket } from '@open-bridge/wechat-fetchers'
import { startFakeWecom, type FakeWecom } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load-config.js'
import { startServer, type RunningServer } from '../src/serve.js'

const CORP = 'wwserveconfig0001'
const APP_SECRET = 'corp-app-secret-serve-7f8e9d'
const SUITE = 'wwsuiteserve00001'
const SUITE_SECRET = 'suite-secret-serve-1a2b3c4d'
const TOKEN = 'ServeSuiteToken9'
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const ENV = { OB_WECOM_APP: APP_SECRET, OB_WECOM_SUITE: SUITE_SECRET, OB_WECOM_TOKEN: TOKEN, OB_WECOM_AES: AES_KEY }

let dir: string
let fake: FakeWecom
let server: RunningServer | undefined
const logs: string[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-wecom-serve-'))
  fake = await startFakeWecom({
    corps: [{ corpId: CORP, agents: [{ agentId: 1000002, secret: APP_SECRET }] }],
    suites: [{ suiteId: SUITE, suiteSecret: SUITE_SECRET, token: TOKEN, encodingAESKey: AES_KEY }],
  })
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory', 'sqlite:./wecom.db'],
      schedule: { enable: false },
      server: { port: 0 },
      wecom: {
        baseUrl: fake.url,
        apps: [{ corpId: CORP, agentId: 1000002, secret: { env: 'OB_WECOM_APP' } }],
        suites: [
          {
            suiteId: SUITE,
            suiteSecret: { env: 'OB_WECOM_SUITE' },
            token: { env: 'OB_WECOM_TOKEN' },
            encodingAESKey: { env: 'OB_WECOM_AES' },
          },
        ],
      },
    }),
  )
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await fake.close()
  await rm(dir, { recursive: true, force: true })
  logs.length = 0
})

describe('wecom in the config file', () => {
  it('serves the corp token and the suite callback; the config views and the log hold no secret', async () => {
    const config = await loadConfig({ cwd: dir, env: ENV })
    const views = `${inspect(config, { depth: 10 })}${JSON.stringify(config)}`
    for (const secret of Object.values(ENV)) expect(views).not.toContain(secret)

    server = await startServer({ cwd: dir, env: ENV, logStream: { write: (line: string) => logs.push(line) } })
    const token = await server.bridge.credential(wecomCorpToken).get({ corpId: CORP, agentId: '1000002' })
    expect(token?.access_token).toBeTruthy()
    expect(fake.calls('gettoken')).toBe(1)

    fake.setCallbackUrl(SUITE, `${server.url}/wecom/suites/${SUITE}/callback`)
    expect(await fake.verifyCallbackUrl(SUITE)).toMatchObject({ status: 200, verified: true })
    const { ticket, push } = await fake.pushSuiteTicket(SUITE)
    expect(push.reply).toMatchObject({ status: 200, text: 'success' })
    expect((await server.bridge.credential(wecomSuiteTicket).get({ suiteId: SUITE }))?.suite_ticket).toBe(ticket)

    // The push is counted by suite, InfoType and result; a forged one (bad msg_signature) by its refusal code.
    const forged = await fetch(`${server.url}/wecom/suites/${SUITE}/callback?msg_signature=0&timestamp=1&nonce=1`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>',
    })
    expect(forged.status).toBe(400)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toContain(
      `open_bridge_wecom_suite_pushes_total{suite="${SUITE}",info_type="suite_ticket",result="stored"} 1`,
    )
    expect(metrics).toMatch(
      new RegExp(
        `open_bridge_wecom_suite_pushes_total\\{suite="${SUITE}",info_type="unknown",result="E_PUSH_[A-Z_]+"\\} 1`,
      ),
    )
    expect(metrics).toMatch(new RegExp(`open_bridge_wecom_suite_ticket_age_seconds\\{suite="${SUITE}"\\} \\d+\\n`))
    expect(metrics).not.toContain(ticket)

    const logged = logs.join('')
    expect(logged).toContain('/wecom/suites/')
    for (const secret of [...Object.values(ENV), ticket, token!.access_token]) expect(logged).not.toContain(secret)
  })

  it('an unset secret variable refuses to start, naming the field', async () => {
    const { OB_WECOM_TOKEN: _, ...missing } = ENV
    await expect(loadConfig({ cwd: dir, env: missing })).rejects.toMatchObject({
      code: 'E_INVALID_CONFIG',
      field: 'wecom.suites[0].token',
    })
  })

  it('wecom.sweepConcurrency is 1 to 64: anything else refuses to start, naming the field', async () => {
    for (const bad of [0, 65, 2.5, '8']) {
      await writeFile(
        join(dir, 'open-bridge.config.json'),
        JSON.stringify({ stores: ['memory'], wecom: { baseUrl: fake.url, sweepConcurrency: bad } }),
      )
      await expect(loadConfig({ cwd: dir, env: ENV })).rejects.toMatchObject({
        code: 'E_INVALID_CONFIG',
        field: 'wecom.sweepConcurrency',
      })
    }
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({ stores: ['memory'], wecom: { baseUrl: fake.url, sweepConcurrency: 4 } }),
    )
    expect((await loadConfig({ cwd: dir, env: ENV })).wecom?.sweepConcurrency).toBe(4)
  })
})
