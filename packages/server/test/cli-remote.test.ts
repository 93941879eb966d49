import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../src/serve.js'
import { runCli, type CliRun } from './cli-run.js'

const SIGNING = 'CLI-remote-signing-secret-7e3f'
const TOKEN = 'CLI-remote-token-4b9c'
const KEY = ['--dcloud-appid', '__UNI__R', '--platform', 'weixin-mp']

let dir: string
let server: RunningServer | undefined
let extra: Server | undefined
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-cli-remote-'))
})
afterEach(async () => {
  await server?.close()
  server = undefined
  if (extra) await new Promise((resolve) => extra!.close(resolve))
  extra = undefined
  await rm(dir, { recursive: true, force: true })
})

/** The central service, for real: config file, SQLite, signing, loopback, port 0. */
async function startCentre(stores: unknown[] = ['memory', 'sqlite:./centre.db']): Promise<string> {
  await writeFile(
    join(dir, 'centre.json'),
    JSON.stringify({
      stores,
      apps: [{ dcloudAppid: '__UNI__R', platform: 'weixin-mp', appid: 'wx-remote' }],
      schedule: { enable: false },
      server: { port: 0, auth: { signingSecret: { env: 'OB_SIGNING' } } },
    }),
  )
  server = await startServer({
    configPath: 'centre.json',
    cwd: dir,
    env: { OB_SIGNING: SIGNING },
    logStream: { write() {} },
  })
  return server.url
}

const cli = (args: string[], env: NodeJS.ProcessEnv = { OPEN_BRIDGE_SECRET: SIGNING }) =>
  runCli(args, { cwd: dir, env })
const all = (run: CliRun) => run.stdout + run.stderr
const fingerprint = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex').slice(0, 12)}`

describe('open-bridge get / set / remove / refresh / doctor --remote (a real server on loopback)', {
  timeout: 120_000,
}, () => {
  it('set, get (facts; value with --show-value), remove, get: signed with OPEN_BRIDGE_SECRET, written in the centre', async () => {
    const url = await startCentre()
    const value = JSON.stringify({ access_token: TOKEN })
    // The life the centre states can only have run down by the time the CLIs took (seconds each on a loaded box).
    const setAt = Date.now()
    const lifeFloor = () => 600 - Math.ceil((Date.now() - setAt) / 1000) - 1
    const set = await cli([
      'set',
      'access_token',
      ...KEY,
      '--remote',
      url,
      '--value',
      value,
      '--expires-in',
      '600',
      '--json',
    ])
    expect(set.code, all(set)).toBe(0)
    expect(set.json()).toMatchObject({ command: 'set', mode: 'remote', done: true })
    // It is in the centre's bridge.
    expect(await server!.bridge.getAccessToken({ appid: 'wx-remote', platform: 'weixin-mp' })).toEqual({
      access_token: TOKEN,
    })

    const get = await cli(['get', 'access_token', ...KEY, '--remote', url])
    expect(get.code, all(get)).toBe(0)
    expect(get.stdout).toContain('access_token weixin-mp dcloudAppid __UNI__R: held')
    expect(get.stdout).toContain(`fingerprint  ${fingerprint(TOKEN)}`)
    // The centre states the record's life in x-ob-expires-in.
    const shown = /expires {6}in (\d+) s \(/.exec(get.stdout)
    expect(shown, get.stdout).not.toBeNull()
    expect(Number(shown![1])).toBeGreaterThanOrEqual(lifeFloor())
    expect(Number(shown![1])).toBeLessThanOrEqual(600)
    expect(all(get)).not.toContain(TOKEN)

    const json = await cli([
      'get',
      'access_token',
      '--key',
      '{"appid":"wx-remote","platform":"weixin-mp"}',
      '--remote',
      url,
      '--json',
      '--show-value',
    ])
    expect(json.code).toBe(0)
    const doc = json.json()
    expect(doc).toMatchObject({
      mode: 'remote',
      found: true,
      value: { access_token: TOKEN },
      fingerprint: fingerprint(TOKEN),
    })
    expect(doc.expiresInSeconds).toBeGreaterThanOrEqual(lifeFloor())
    expect(doc.expiresInSeconds).toBeLessThanOrEqual(600)

    expect((await cli(['remove', 'access_token', ...KEY, '--remote', url])).code).toBe(0)
    expect(
      await server!.bridge
        .getAccessToken({ appid: 'wx-remote', platform: 'weixin-mp' })
        .catch((e: { code: string }) => e.code),
    ).toBe('E_APP_NOT_CONFIGURED')
    const session = await cli(['get', 'session_key', ...KEY, '--openid', 'o1', '--remote', url, '--json'])
    expect(session.code).toBe(6)
    expect(session.json()).toMatchObject({ found: false })
    for (const run of [set, get, json, session]) expect(all(run)).not.toContain(SIGNING)
  })

  it('refresh --remote forwards compare-and-refresh: an already replaced value comes back; nothing to refresh is exit 6', async () => {
    const url = await startCentre()
    await server!.bridge.setTicket({ appid: 'wx-remote', platform: 'weixin-mp' }, { ticket: 'CLI-new-ticket' }, 3600)
    const replaced = await cli([
      'refresh',
      'ticket',
      ...KEY,
      '--remote',
      url,
      '--if-value',
      'CLI-old-ticket',
      '--json',
      '--show-value',
    ])
    expect(replaced.code, all(replaced)).toBe(0)
    expect(replaced.json()).toMatchObject({ command: 'refresh', value: { ticket: 'CLI-new-ticket' } })
    // Still the held one: the centre refreshes through its source, which fetches no weixin-mp ticket: null, "not held".
    const stuck = await cli(['refresh', 'ticket', ...KEY, '--remote', url, '--if-value', 'CLI-new-ticket'])
    expect(stuck.code, all(stuck)).toBe(6)
    expect(stuck.stdout).toBe('ticket weixin-mp dcloudAppid __UNI__R: not held\n')
    // An access_token of an app without a secret: the centre says why (404 E_APP_NOT_CONFIGURED).
    const noSecret = await cli(['refresh', 'access_token', ...KEY, '--remote', url, '--json'])
    expect(noSecret.code, all(noSecret)).toBe(6)
    expect(noSecret.json()).toMatchObject({ error: { code: 'E_APP_NOT_CONFIGURED', status: 404 }, exitCode: 6 })
  })

  it('refused: no secret or a wrong one exits 5 (E_UNAUTHORIZED), and neither secret is printed', async () => {
    const url = await startCentre()
    const none = await cli(['get', 'access_token', ...KEY, '--remote', url], {})
    expect(none.code).toBe(5)
    expect(none.stderr).toMatch(/^open-bridge: E_UNAUTHORIZED /)
    const wrong = await cli([
      'get',
      'access_token',
      ...KEY,
      '--remote',
      url,
      '--secret',
      'CLI-wrong-secret-000000',
      '--json',
    ])
    expect(wrong.code).toBe(5)
    expect(wrong.json()).toMatchObject({ error: { code: 'E_UNAUTHORIZED', status: 401 }, exitCode: 5 })
    for (const run of [none, wrong]) {
      expect(all(run)).not.toContain('CLI-wrong-secret-000000')
      expect(all(run)).not.toContain(SIGNING)
    }
    // A key the server's schema refuses is the user's mistake: exit 2 with the server's field name.
    const bad = await cli([
      'get',
      'encrypt_key',
      '--key',
      '{"appid":"wx-remote","platform":"weixin-mp","openid":"o","version":99999999999}',
      '--remote',
      url,
    ])
    expect(bad.code, all(bad)).toBe(2)
    expect(bad.stderr).toMatch(/^open-bridge: E_INVALID_BODY body\.version /)
  })

  it('unreachable: a closed port exits 4 (E_UNREACHABLE); a password in the URL is masked; bad --remote is usage', async () => {
    const url = await startCentre()
    await server!.close()
    server = undefined
    const down = await cli([
      'get',
      'access_token',
      ...KEY,
      '--remote',
      url.replace('http://', 'http://ops:CLI-url-pass@'),
    ])
    expect(down.code, all(down)).toBe(4)
    expect(down.stderr).toMatch(
      /^open-bridge: E_UNREACHABLE http:\/\/ops:\*\*\*@127\.0\.0\.1:\d+ could not be reached \(ECONNREFUSED\)\n$/,
    )
    expect(all(down)).not.toContain('CLI-url-pass')
    const doctor = await cli(['doctor', '--remote', url, '--json'])
    expect(doctor.code).toBe(4)
    expect(doctor.json()).toMatchObject({
      ok: false,
      exitCode: 4,
      checks: [{ check: 'reach', status: 'fail', code: 'E_UNREACHABLE' }],
    })
    const badUrl = await cli(['get', 'access_token', ...KEY, '--remote', 'ftp://x'])
    expect(badUrl.code).toBe(2)
    expect(badUrl.stderr).toContain('--remote must be an http:// or https:// URL')
    const both = await cli(['get', 'access_token', ...KEY, '--remote', url, '--config', 'x.json'])
    expect(both.code).toBe(2)
  })

  it('doctor --remote: reach, clock, signature and the centre’s tiers, exit 0; a wrong secret exits 5', async () => {
    const url = await startCentre()
    const doctor = await cli(['doctor', '--remote', url, '--json'])
    expect(doctor.code, all(doctor)).toBe(0)
    const report = doctor.json() as { ok: boolean; checks: Array<Record<string, unknown>> }
    expect(report.ok).toBe(true)
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['reach', 'ok'],
      ['clock', 'ok'],
      ['signature', 'ok'],
      ['remote tier memory', 'ok'],
      ['remote tier sqlite', 'ok'],
    ])
    expect(report.checks[1]!.detail).toMatch(/^skew [+-]?[01] s against the server \(signatures allow ±300 s\)$/)
    expect(report.checks[2]!.detail).toBe('a signed request is accepted')
    for (const c of [report.checks[0]!, report.checks[4]!]) expect(c.latencyMs).toEqual(expect.any(Number))

    const human = await cli(['doctor', '--remote', url])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^ok {4}reach {20}http:\/\/127\.0\.0\.1:\d+\/healthz answered 200 \(\d+(\.\d)? ms\)$/m)
    expect(human.stdout).toContain('all checks passed')

    const wrong = await cli(['doctor', '--remote', url], { OPEN_BRIDGE_SECRET: 'CLI-wrong-secret-111111' })
    expect(wrong.code).toBe(5)
    expect(wrong.stdout).toMatch(/^fail {2}signature +the server refused the signature/m)
    expect(all(wrong)).not.toContain('CLI-wrong-secret-111111')
  })

  it('doctor --remote: a server clock 10 minutes ahead fails the clock check (E_CLOCK_SKEW, exit 5); a non-JSON answer is E_REMOTE_ANSWER', async () => {
    // A plain HTTP server whose Date header is 10 minutes ahead; it answers every path like an open-bridge would.
    extra = createServer((request, response) => {
      response.setHeader('date', new Date(Date.now() + 600_000).toUTCString())
      response.setHeader('content-type', 'application/json')
      if (request.url === '/readyz')
        response.end(JSON.stringify({ ready: true, tiers: [{ name: 'memory', state: 'up', latencyMs: 0.1 }] }))
      else if (request.url === '/healthz') response.end('{"ok":true}')
      else if (request.url === '/getTicket')
        response.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>')
      else response.writeHead(400).end('{"errCode":"E_INVALID_BODY","errMsg":"body.platform is required"}')
    })
    await new Promise<void>((resolve) => extra!.listen(0, '127.0.0.1', resolve))
    const port = (extra.address() as { port: number }).port
    const doctor = await cli(['doctor', '--remote', `http://127.0.0.1:${port}`, '--json'])
    expect(doctor.code, all(doctor)).toBe(5)
    const clock = (doctor.json().checks as Array<Record<string, unknown>>).find((c) => c.check === 'clock')
    expect(clock).toMatchObject({ status: 'fail', code: 'E_CLOCK_SKEW', exitCode: 5 })
    // 600 s ahead, less the time the answer took to be read (generous: a loaded machine), never more than 601.
    const skew = /^skew \+(\d+) s against the server/.exec(String(clock!.detail))
    expect(skew, String(clock!.detail)).not.toBeNull()
    expect(Number(skew![1])).toBeGreaterThanOrEqual(570)
    expect(Number(skew![1])).toBeLessThanOrEqual(601)

    // Something that is not open-bridge answering (a proxy's error page): named as such, exit 1.
    const proxy = await cli(['get', 'ticket', ...KEY, '--remote', `http://127.0.0.1:${port}`])
    expect(proxy.code, all(proxy)).toBe(1)
    expect(proxy.stderr).toMatch(
      /^open-bridge: E_REMOTE_ANSWER http:\/\/127\.0\.0\.1:\d+ answered HTTP 502 with a body that is not JSON/,
    )
  })
})
