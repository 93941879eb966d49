/**
 * The Open Platform beyond the event URL: the CLI's get / refresh of the new kinds, `open-platform rebuild` and
 * `start-push`, `doctor`'s ticket check, `remoteBridge` reading an authorised account like any app, and a real
 * `open-bridge serve` process restarted mid-flow on SQLite.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBridge, memoryStore } from '@open-bridge/core'
import { remoteBridge } from '@open-bridge/remote'
import { authorizerRefreshToken, componentAccessToken } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { runCli } from '../src/cli/program.js'
import { startServer, type RunningServer } from '../src/serve.js'
import { spawnCli, type CliChild } from './serve-child.js'

const COMPONENT = {
  appid: 'wxc0mp0nentc1i0001',
  secret: 'component-secret-cli-4d2b',
  token: 'pushTokenCli77',
  encodingAESKey: 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg',
}
const ACCOUNT = 'wxacc0untc1i00001b'

let dir: string
let fake: FakeWeChat
let server: RunningServer | undefined
let children: CliChild[]
let clockOffsetMs: number
let configPath: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-op-cli-'))
  clockOffsetMs = 0
  children = []
  fake = await startFakeWeChat({ components: [COMPONENT], now: () => Date.now() - clockOffsetMs })
  configPath = join(dir, 'open-bridge.config.json')
  await writeFile(
    configPath,
    JSON.stringify({
      stores: ['memory', `sqlite:${join(dir, 'creds.db')}`],
      schedule: { enable: false },
      server: { port: 0, drainMs: 0 },
      wechat: { baseUrl: fake.url, retry: { retries: 0 } },
      openPlatform: [
        {
          componentAppid: COMPONENT.appid,
          componentSecret: COMPONENT.secret,
          token: COMPONENT.token,
          encodingAESKey: COMPONENT.encodingAESKey,
        },
      ],
    }),
  )
})
afterEach(async () => {
  vi.restoreAllMocks()
  await server?.close()
  server = undefined
  for (const child of children) await child.kill()
  await fake.close()
  await rm(dir, { recursive: true, force: true })
})

const eventsUrl = (base: string) => `${base}/open-platform/${COMPONENT.appid}/events`

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
    const code = await runCli(argv)
    return { code, stdout, stderr }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

describe('CLI and doctor', () => {
  it('get / refresh know the new kinds; rebuild restores a lost refresh token from the list, with counts', async () => {
    server = await startServer({ configPath, cwd: dir, env: {}, logStream: { write() {} } })
    const { ticket } = await fake.pushTicket(COMPONENT.appid, eventsUrl(server.url))
    await fake.authorize(COMPONENT.appid, ACCOUNT, { url: eventsUrl(server.url) })
    await server.close()
    server = undefined

    const got = await run([
      'get',
      'component_verify_ticket',
      '--component-appid',
      COMPONENT.appid,
      '-c',
      configPath,
      '--json',
    ])
    expect(got.code, got.stderr).toBe(0)
    expect(JSON.parse(got.stdout)).toMatchObject({
      found: true,
      kind: 'component_verify_ticket',
      fields: expect.arrayContaining(['ticket']),
    })
    expect(got.stdout).not.toContain(ticket)
    const before = fake.calls('component_token')
    const refreshed = await run([
      'refresh',
      'component-access-token',
      '--component-appid',
      COMPONENT.appid,
      '-c',
      configPath,
      '--json',
    ])
    expect(refreshed.code, refreshed.stderr).toBe(0)
    expect(fake.calls('component_token')).toBe(before + 1)
    const pushedOnly = await run([
      'refresh',
      'component_verify_ticket',
      '--component-appid',
      COMPONENT.appid,
      '-c',
      configPath,
    ])
    expect(pushedOnly.code).toBe(2)
    expect(pushedOnly.stderr).toContain('start-push')
    const noComponent = await run(['get', 'authorizer_refresh_token', '--authorizer-appid', ACCOUNT, '-c', configPath])
    expect(noComponent.code).toBe(2)
    expect(noComponent.stderr).toContain('--component-appid')

    // The refresh token lost from every tier (a Redis restarted without persistence, say).
    const bridge = createBridge({
      stores: [(await import('@open-bridge/adapter-sqlite')).sqliteStore({ path: join(dir, 'creds.db') })],
    })
    await bridge
      .credential(authorizerRefreshToken)
      .remove({ componentAppid: COMPONENT.appid, authorizerAppid: ACCOUNT })
    expect(
      await bridge
        .credential(authorizerRefreshToken)
        .get({ componentAppid: COMPONENT.appid, authorizerAppid: ACCOUNT }),
    ).toBeNull()
    await bridge.close()

    const rebuilt = await run(['open-platform', 'rebuild', COMPONENT.appid, '-c', configPath, '--json'])
    expect(rebuilt.code, rebuilt.stderr).toBe(0)
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ total: 1, written: 1, unchanged: 0 })
    const again = await run(['open-platform', 'rebuild', COMPONENT.appid, '-c', configPath])
    expect(again.stdout).toMatch(/1 authorised account\(s\)[\s\S]*written\s+0[\s\S]*unchanged\s+1/)
    const held = await run([
      'get',
      'authorizer_refresh_token',
      '--component-appid',
      COMPONENT.appid,
      '--authorizer-appid',
      ACCOUNT,
      '-c',
      configPath,
      '--show-value',
      '--json',
    ])
    expect(JSON.parse(held.stdout).value).toEqual({
      authorizer_refresh_token: fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT),
    })
  })

  it('doctor shows the ticket age; pushes stopped → a warning with how to resume; a ticket past 12 h is never reported fresh; start-push asks WeChat', async () => {
    server = await startServer({ configPath, cwd: dir, env: {}, logStream: { write() {} } })
    const none = await run(['doctor', '-c', configPath, '--json'])
    const check = (doc: string) =>
      (JSON.parse(doc) as { checks: Array<{ check: string; status: string; detail: string }> }).checks.find(
        (c) => c.check === `ticket ${COMPONENT.appid}`,
      )!
    expect(check(none.stdout)).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('no component_verify_ticket'),
    })

    await fake.pushTicket(COMPONENT.appid, eventsUrl(server.url))
    expect(check((await run(['doctor', '-c', configPath, '--json'])).stdout)).toMatchObject({ status: 'ok' })

    clockOffsetMs = 3 * 3600_000 // the newest push was three hours ago: pushes stopped since
    await fake.pushTicket(COMPONENT.appid, eventsUrl(server.url))
    // The older ticket is refused as stale (older than the one held): push it to a fresh deployment instead.
    await rm(join(dir, 'creds.db'), { force: true })
    await server.close()
    server = await startServer({ configPath, cwd: dir, env: {}, logStream: { write() {} } })
    await fake.pushTicket(COMPONENT.appid, eventsUrl(server.url))
    const stale = await run(['doctor', '-c', configPath, '--json'])
    expect(check(stale.stdout)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/10[0-9]{3} s old: pushes stopped[\s\S]*open-platform start-push/),
    })
    expect(stale.code).toBe(0)

    clockOffsetMs = 13 * 3600_000
    await rm(join(dir, 'creds.db'), { force: true })
    await server.close()
    server = await startServer({ configPath, cwd: dir, env: {}, logStream: { write() {} } })
    await fake.pushTicket(COMPONENT.appid, eventsUrl(server.url))
    const dead = await run(['doctor', '-c', configPath, '--json'])
    // A ticket that old is refused by applyComponentPush (never stored) or held and reported expired.
    const verdict = check(dead.stdout)
    expect(['warn', 'fail']).toContain(verdict.status)
    expect(verdict.detail).toContain('start-push')

    const asks = fake.pushTicketRequests(COMPONENT.appid)
    const resumed = await run(['open-platform', 'start-push', COMPONENT.appid, '-c', configPath, '--json'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(fake.pushTicketRequests(COMPONENT.appid)).toBe(asks + 1)
  })
})

describe('remoteBridge', () => {
  it("reads an authorised account's token like any app's (getAccessToken({ appid })), no secret configured anywhere", async () => {
    server = await startServer({ configPath, cwd: dir, env: {}, logStream: { write() {} } })
    await fake.pushTicket(COMPONENT.appid, eventsUrl(server.url))
    await fake.authorize(COMPONENT.appid, ACCOUNT, { url: eventsUrl(server.url) })
    const client = createBridge({ stores: [memoryStore()], source: remoteBridge({ url: server.url }) })
    try {
      const token = await client.getAccessToken({ appid: ACCOUNT, platform: 'weixin-h5' })
      expect(token).not.toBeNull()
      expect(fake.isTokenValid(token!.access_token)).toBe(true)
      // The token WeChat rejected is replaced once, through the centre (compare-and-refresh).
      const calls = fake.calls('authorizer_token')
      const fresh = await client.refreshAccessToken(
        { appid: ACCOUNT, platform: 'weixin-h5' },
        { ifValue: token!.access_token },
      )
      expect(fresh!.access_token).not.toBe(token!.access_token)
      expect(fake.isTokenValid(fresh!.access_token)).toBe(true)
      expect(fake.calls('authorizer_token')).toBe(calls + 1)
    } finally {
      await client.close()
    }
  })
})

describe('a real server process restarted mid-flow (SQLite tier)', () => {
  it('ticket pushed and account authorised, process restarted: the component and authorizer tokens are fetched from what SQLite kept; no secret in any log line', async () => {
    const first = spawnCli(['serve', '--config', configPath], { cwd: dir })
    children.push(first)
    const base1 = await first.url()
    const { ticket } = await fake.pushTicket(COMPONENT.appid, eventsUrl(base1))
    await fake.authorize(COMPONENT.appid, ACCOUNT, { url: eventsUrl(base1) })
    first.child.kill('SIGTERM')
    expect((await first.exited).code).toBe(0)

    // The tokens themselves dropped (as if they had expired): only the ticket and the refresh token are left.
    const bridge = createBridge({
      stores: [(await import('@open-bridge/adapter-sqlite')).sqliteStore({ path: join(dir, 'creds.db') })],
    })
    await bridge.credential(componentAccessToken).remove({ componentAppid: COMPONENT.appid })
    await bridge.remove('access_token', { appid: ACCOUNT, platform: 'weixin-h5' })
    await bridge.close()

    const second = spawnCli(['serve', '--config', configPath], { cwd: dir })
    children.push(second)
    const base2 = await second.url()
    const componentCalls = fake.calls('component_token')
    const authorizerCalls = fake.calls('authorizer_token')
    const answer = await fetch(`${base2}/getAccessToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: ACCOUNT, platform: 'weixin-h5' }),
    })
    expect(answer.status).toBe(200)
    const { access_token: token } = (await answer.json()) as { access_token: string }
    expect(fake.isTokenValid(token)).toBe(true)
    expect(fake.calls('component_token')).toBe(componentCalls + 1)
    expect(fake.calls('authorizer_token')).toBe(authorizerCalls + 1)
    second.child.kill('SIGTERM')
    await second.exited

    const log = [...first.lines, ...second.lines].join('\n')
    expect(log).toContain('open platform push applied')
    for (const secret of [
      COMPONENT.secret,
      COMPONENT.token,
      COMPONENT.encodingAESKey,
      ticket,
      token,
      fake.authorizerRefreshToken(COMPONENT.appid, ACCOUNT)!,
    ])
      expect(log.includes(secret), `a log line holds ${secret.slice(0, 4)}…`).toBe(false)
    // Query values are masked (names kept: `msg_signature=…`); no signature value is ever written.
    expect(log).not.toMatch(/msg_signature=[^…]|signature=[0-9a-f]{40}/)
    expect(log).toContain('msg_signature=…')
  })
})
