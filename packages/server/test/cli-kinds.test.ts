/**
 * `open-bridge get / set / remove / refresh <registered kind> --key '<json>'`: WeCom's corp token on the config's
 * tiers and through `--remote` (the service's `POST /kinds/<kind>/…` routes), against the fake WeCom; kebab-case
 * names; usage errors naming the flag; a durable kind refused by the service.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { wecomCorpToken, wecomPermanentCode } from '@open-bridge/wechat-fetchers'
import { startFakeWecom, type FakeWecom } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { runCli } from '../src/cli/program.js'
import { startServer, type RunningServer } from '../src/serve.js'

const SIGNING = 'cli-kinds-signing-secret-5d2e8f'
const CORP = 'wwclikinds000001'
const APP_SECRET = 'corp-app-secret-cli-kinds-3a7b'
const APP = { corpId: CORP, agentId: '1000002' }
const KEY = JSON.stringify(APP)

let dir: string
let fake: FakeWecom
let server: RunningServer
let configPath: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-cli-kinds-'))
  fake = await startFakeWecom({ corps: [{ corpId: CORP, agents: [{ agentId: 1000002, secret: APP_SECRET }] }] })
  process.env.OB_TEST_CLI_KINDS_WECOM = APP_SECRET
  configPath = join(dir, 'open-bridge.config.json')
  await writeFile(
    configPath,
    JSON.stringify({
      stores: ['memory', `sqlite:${join(dir, 'creds.db')}`],
      schedule: { enable: false },
      server: { host: '127.0.0.1', port: 0, auth: { signingSecret: SIGNING } },
      wecom: {
        baseUrl: fake.url,
        apps: [{ corpId: CORP, agentId: 1000002, secret: { env: 'OB_TEST_CLI_KINDS_WECOM' } }],
      },
    }),
  )
  server = await startServer({ configPath, cwd: dir, env: process.env, logStream: { write() {} } })
})
afterAll(async () => {
  await server?.close()
  await fake?.close()
  delete process.env.OB_TEST_CLI_KINDS_WECOM
  await rm(dir, { recursive: true, force: true })
})

/** Runs the CLI in this process: stdout, stderr, exit code. */
async function run(argv: string[]): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  })
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  })
  try {
    return { code: await runCli(argv), stdout, stderr }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

const remote = () => ['--remote', server.url, '--secret', SIGNING]

describe('the CLI on registered kinds', () => {
  it('get --remote reads the service’s corp token (one gettoken), refresh --if-value is compare-and-refresh there', async () => {
    const before = fake.calls('gettoken')
    const got = await run(['get', 'wecom-corp-token', '--key', KEY, ...remote(), '--json', '--show-value'])
    expect(got.code, got.stderr).toBe(0)
    const doc = JSON.parse(got.stdout)
    expect(doc).toMatchObject({ command: 'get', mode: 'remote', kind: 'wecom_corp_token', key: APP, found: true })
    expect(doc.fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/)
    expect(doc.expiresInSeconds).toBeGreaterThan(3600)
    const token = doc.value.access_token as string
    expect(await server.bridge.credential(wecomCorpToken).get(APP)).toEqual({ access_token: token })
    expect(fake.calls('gettoken') - before).toBe(1)

    // A replaced token reported again: the current one comes back, WeCom is not asked.
    const stale = await run([
      'refresh',
      'wecom_corp_token',
      '--key',
      KEY,
      ...remote(),
      '--if-value',
      'AT_old',
      '--json',
    ])
    expect(stale.code, stale.stderr).toBe(0)
    expect(fake.calls('gettoken') - before).toBe(1)
    const fresh = await run([
      'refresh',
      'WecomCorpToken',
      '--key',
      KEY,
      ...remote(),
      '--if-value',
      token,
      '--json',
      '--show-value',
    ])
    expect(fresh.code, fresh.stderr).toBe(0)
    expect(JSON.parse(fresh.stdout).value.access_token).not.toBe(token)
    expect(fake.calls('gettoken') - before).toBe(2)
    // Without --show-value nothing of the token is printed.
    expect(stale.stdout + stale.stderr).not.toContain(token)
  })

  it('set, get, remove --remote; the same on the config’s tiers (-c)', async () => {
    const key = JSON.stringify({ corpId: CORP, agentId: 'contacts' })
    const value = JSON.stringify({ access_token: 'AT_cli_set' })
    const set = await run([
      'set',
      'wecom_corp_token',
      '--key',
      key,
      '--value',
      value,
      '--expires-in',
      '600',
      ...remote(),
    ])
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toContain('wecom_corp_token corpId wwclikinds000001 agentId contacts: set, expires in 600 s')
    expect(await server.bridge.credential(wecomCorpToken).get({ corpId: CORP, agentId: 'contacts' })).toEqual({
      access_token: 'AT_cli_set',
    })
    const removed = await run(['remove', 'wecom_corp_token', '--key', key, ...remote(), '--json'])
    expect(JSON.parse(removed.stdout)).toMatchObject({ command: 'remove', mode: 'remote', done: true })
    const gone = await run(['get', 'wecom_corp_token', '--key', key, ...remote()])
    expect(gone.code).toBe(6)

    await server.close()
    const local = await run(['get', 'wecom_corp_token', '--key', KEY, '-c', configPath, '--json'])
    expect(local.code, local.stderr).toBe(0)
    expect(JSON.parse(local.stdout)).toMatchObject({ mode: 'config', kind: 'wecom_corp_token', found: true })
    const localSet = await run(['set', 'wecom-corp-token', '--key', key, '--value', value, '-c', configPath])
    expect(localSet.code, localSet.stderr).toBe(0)
    const localGet = await run(['get', 'wecom_corp_token', '--key', key, '-c', configPath, '--show-value', '--json'])
    expect(JSON.parse(localGet.stdout).value).toEqual({ access_token: 'AT_cli_set' })
    server = await startServer({ configPath, cwd: dir, env: process.env, logStream: { write() {} } })
  })

  it('a durable kind over --remote is refused by the service (E_KIND_NOT_SERVED, exit 2); on the config it is read', async () => {
    const key = { suiteId: 'wwsuitecli01', corpId: CORP }
    await server.bridge.credential(wecomPermanentCode).set(key, { permanent_code: 'PERM-cli-secret', agent_ids: '1' })
    const refused = await run(['get', 'wecom_permanent_code', '--key', JSON.stringify(key), ...remote(), '--json'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('E_KIND_NOT_SERVED')
    expect(refused.stdout + refused.stderr).not.toContain('PERM-cli-secret')
  })

  it('usage errors name the flag or the --key field; nothing is opened', async () => {
    const missing = await run(['get', 'wecom_corp_token', '--key', JSON.stringify({ corpId: CORP }), ...remote()])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--key .agentId is required for wecom_corp_token (its key: corpId, agentId')
    const noKey = await run(['get', 'wecom_corp_token', ...remote()])
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toContain(
      "--key .corpId is required for wecom_corp_token (its key: corpId, agentId; e.g. --key '{",
    )
    const extra = await run(['get', 'wecom_corp_token', '--key', JSON.stringify({ ...APP, corpid: 'x' }), ...remote()])
    expect(extra.stderr).toContain("--key has a field 'corpid' that is not part of a wecom_corp_token key")
    const colon = await run([
      'get',
      'wecom_corp_token',
      '--key',
      JSON.stringify({ ...APP, corpId: 'a:b' }),
      ...remote(),
    ])
    expect(colon.stderr).toContain("--key .corpId must not contain ':'")
    const flag = await run(['get', 'wecom_corp_token', '--platform', 'weixin-mp', ...remote()])
    expect(flag.stderr).toContain('--platform is not part of a wecom_corp_token key')
    const pushed = await run(['refresh', 'wecom_suite_ticket', '--key', '{"suiteId":"s1"}', ...remote()])
    expect(pushed.code).toBe(2)
    expect(pushed.stderr).toContain(
      'wecom_suite_ticket is pushed by the platform, never fetched, so it cannot be refreshed',
    )
    const unknown = await run(['get', 'no_such_kind', '--key', '{}', ...remote()])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown kind 'no_such_kind' \(.*registered: .*wecom_corp_token/)
  })
})
