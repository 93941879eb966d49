import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, type CliRun } from './cli-run.js'

const mp = { appid: 'wx1234567890abcdef', secret: 'CLI-app-secret-5c1d9e' }
const TOKEN = 'CLI-stored-token-8f2a'
const KEY = ['--appid', 'wx-cli', '--platform', 'weixin-mp']

let dir: string
let fake: FakeWeChat | undefined
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-cli-'))
})
afterEach(async () => {
  await fake?.close()
  fake = undefined
  await rm(dir, { recursive: true, force: true })
})

/** A config with a memory tier and a SQLite file (shared by the separate CLI processes of a test). */
async function writeConfig(extra: Record<string, unknown> = {}): Promise<void> {
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({ stores: ['memory', 'sqlite:./creds.db'], ...extra }),
  )
}
const cli = (args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) =>
  runCli(args, { cwd: dir, ...options })
const all = (run: CliRun) => run.stdout + run.stderr
const fingerprint = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex').slice(0, 12)}`

describe('open-bridge get / set / remove / refresh against a config (real child processes)', {
  // Twenty-odd children per test, at most a few at once (cli-run.ts): minutes on a loaded 2-core machine.
  timeout: 600_000,
}, () => {
  it('set, get (facts only, then the value when asked), remove, get again: exit codes 0 0 0 0 6', async () => {
    await writeConfig()
    const set = await cli([
      'set',
      'access_token',
      ...KEY,
      '--value',
      JSON.stringify({ access_token: TOKEN }),
      '--expires-in',
      '7200',
    ])
    expect(set.code, all(set)).toBe(0)
    expect(set.stdout).toBe('access_token weixin-mp appid wx-cli: set, expires in 7200 s\n')

    // A new process reads it from the SQLite file; by default the value is not printed.
    const get = await cli(['get', 'access_token', ...KEY])
    expect(get.code, all(get)).toBe(0)
    expect(get.stdout).toContain('access_token weixin-mp appid wx-cli: held')
    expect(get.stdout).toContain(`fingerprint  ${fingerprint(TOKEN)}`)
    expect(get.stdout).toMatch(/expires {6}in 7(1\d\d|200) s \(/)
    expect(all(get)).not.toContain(TOKEN)

    const json = await cli(['get', 'access-token', ...KEY, '--json', '--show-value'])
    expect(json.code).toBe(0)
    expect(json.stderr).toBe('')
    const doc = json.json()
    expect(doc).toMatchObject({
      command: 'get',
      mode: 'config',
      kind: 'access_token',
      key: { appid: 'wx-cli', platform: 'weixin-mp' },
      found: true,
      fields: ['access_token'],
      fingerprint: fingerprint(TOKEN),
      value: { access_token: TOKEN },
    })
    expect(doc.expiresInSeconds).toBeGreaterThan(7000)
    expect(Date.parse(doc.expiresAt as string)).toBeGreaterThan(Date.now() + 7_000_000)
    // Without --show-value, --json has the facts and no value.
    expect((await cli(['get', 'AccessToken', ...KEY, '--json'])).json()).not.toHaveProperty('value')

    const remove = await cli(['remove', 'access_token', ...KEY, '--json'])
    expect(remove.code).toBe(0)
    expect(remove.json()).toMatchObject({ command: 'remove', done: true })
    // Not held, and this config cannot fetch it (the app is not configured): not held, with the reason.
    const gone = await cli(['get', 'access_token', ...KEY, '--json'])
    expect(gone.code).toBe(6)
    expect(gone.json()).toMatchObject({ error: { code: 'E_APP_NOT_CONFIGURED' }, exitCode: 6 })
    expect(gone.stderr).toMatch(
      /^open-bridge: E_APP_NOT_CONFIGURED appid "wx-cli" on platform weixin-mp is not configured/,
    )
  })

  it('the key as one JSON object (--key), a never-expiring value read from stdin (--value -), user kinds', async () => {
    await writeConfig({ apps: [{ dcloudAppid: '__UNI__CLI', platform: 'weixin-mp', appid: mp.appid }] })
    const key = JSON.stringify({ dcloudAppid: '__UNI__CLI', platform: 'weixin-mp', openid: 'o-cli', version: 2 })
    const value = { encrypt_key: 'CLI-encrypt-key-1a2b', iv: 'CLI-iv-3c4d' }
    const set = await cli(['set', 'encrypt_key', '--key', key, '--value', '-'], { input: JSON.stringify(value) })
    expect(set.code, all(set)).toBe(0)
    expect(set.stdout).toContain('never expires')
    // The same record, named by its platform appid this time.
    const get = await cli([
      'get',
      'EncryptKey',
      '--appid',
      mp.appid,
      '--platform',
      'weixin-mp',
      '--openid',
      'o-cli',
      '--version',
      '2',
      '--json',
      '--show-value',
    ])
    expect(get.code, all(get)).toBe(0)
    expect(get.json()).toMatchObject({
      found: true,
      value,
      expiresAt: null,
      expiresInSeconds: null,
      fingerprint: fingerprint(value.encrypt_key),
    })
    // Another version is not held; the source cannot fetch it without the user's session_key.
    const other = await cli([
      'get',
      'encrypt_key',
      '--appid',
      mp.appid,
      '--platform',
      'weixin-mp',
      '--openid',
      'o-cli',
      '--version',
      '3',
    ])
    expect(other.code).toBe(6)
    expect(other.stderr).toMatch(/^open-bridge: E_SESSION_KEY_MISSING /)
    // A session_key is never fetched by the source: a miss is simply "not held".
    const session = await cli([
      'get',
      'session_key',
      '--dcloud-appid',
      '__UNI__CLI',
      '--platform',
      'weixin-mp',
      '--openid',
      'o-none',
    ])
    expect(session.code).toBe(6)
    expect(session.stdout).toBe('session_key weixin-mp dcloudAppid __UNI__CLI openid o-none: not held\n')
    expect(session.stderr).toBe('')
  })

  it('get on a miss fetches through the configured source once; refresh --if-value is compare-and-refresh', async () => {
    fake = await startFakeWeChat({ apps: [mp] })
    await writeConfig({
      apps: [{ dcloudAppid: '__UNI__CLI', platform: 'weixin-mp', appid: mp.appid, secret: { env: 'WX_CLI_SECRET' } }],
      wechat: { baseUrl: fake.url, retry: { retries: 0 } },
    })
    const env = { WX_CLI_SECRET: mp.secret }
    const key = ['--dcloud-appid', '__UNI__CLI', '--platform', 'weixin-mp']
    const first = await cli(['get', 'access_token', ...key, '--json', '--show-value'], { env })
    expect(first.code, all(first)).toBe(0)
    const token = (first.json().value as { access_token: string }).access_token
    expect(fake.calls('stable_token')).toBe(1)
    // Held now (SQLite): a second process reads it, no platform call.
    expect((await cli(['get', 'access_token', ...key], { env })).code).toBe(0)
    expect(fake.calls('stable_token')).toBe(1)

    const refreshed = await cli(['refresh', 'access_token', ...key, '--if-value', token, '--json', '--show-value'], {
      env,
    })
    expect(refreshed.code, all(refreshed)).toBe(0)
    const fresh = (refreshed.json().value as { access_token: string }).access_token
    expect(fresh).not.toBe(token)
    expect(fake.calls('stable_token')).toBe(2)
    // Reporting the same dead token again: already replaced, answered without a fetch.
    const again = await cli(['refresh', 'access_token', ...key, '--if-value', token, '--json', '--show-value'], { env })
    expect(again.json()).toMatchObject({ value: { access_token: fresh } })
    expect(fake.calls('stable_token')).toBe(2)
    // Human refresh output: facts, no value.
    const human = await cli(['refresh', 'access_token', ...key, '--if-value', token], { env })
    expect(human.stdout).toContain(`fingerprint  ${fingerprint(fresh)}`)
    for (const run of [first, refreshed, again, human]) expect(run.stderr).not.toContain(mp.secret)
    expect(all(human)).not.toContain(fresh)
    expect(all(human)).not.toContain(mp.secret)
  })

  it('bad arguments: a clear E_USAGE message on stderr, exit 2, nothing opened; --json adds one error document', async () => {
    await writeConfig()
    const cases: Array<[string[], RegExp]> = [
      [['get', 'acces_token', ...KEY], /E_USAGE unknown kind 'acces_token' \(one of access_token, ticket, /],
      [['get', 'access_token', '--appid', 'wx1'], /E_USAGE --platform is required/],
      [['get', 'access_token', '--platform', 'weixin-mp'], /E_USAGE --appid or --dcloud-appid is required/],
      [
        ['get', 'access_token', '--appid', 'wx1', '--platform', 'weixin'],
        /E_USAGE option '--platform <platform>' argument 'weixin' is invalid/,
      ],
      [['get', 'session_key', ...KEY], /E_USAGE --openid is required for session_key/],
      [['get', 'encrypt_key', ...KEY, '--openid', 'o1', '--version', 'x'], /E_USAGE --version must be an integer ≥ 1/],
      [['get', 'access_token', ...KEY, '--openid', 'o1'], /E_USAGE --openid is not part of a access_token key/],
      [
        ['get', 'access_token', '--key', '{"appid":"wx1"', '--platform', 'weixin-mp'],
        /E_USAGE option '--key <json>' cannot be used with option '--platform/,
      ],
      [
        ['get', 'access_token', '--key', '{"appid":"wx1","platform":"weixin-mp","secret":"x"}'],
        /E_USAGE --key has an unknown field 'secret'/,
      ],
      [['set', 'access_token', ...KEY], /E_USAGE required option '--value <json>' not specified/],
      [['set', 'access_token', ...KEY, '--value', 'CLI-not-json-token'], /E_USAGE --value is not valid JSON/],
      [['set', 'access_token', ...KEY, '--value', '["a"]'], /E_USAGE --value must be a JSON object/],
      [
        ['set', 'access_token', ...KEY, '--value', '{"access_token":"a"}', '--expires-in', '0'],
        /E_USAGE --expires-in must be a number/,
      ],
      [['refresh', 'session_key', ...KEY, '--openid', 'o1'], /E_USAGE session_key cannot be refreshed/],
      [
        ['get', 'access_token', ...KEY, '--secret', 'CLI-sign-secret-0123456789'],
        /E_USAGE --secret signs requests to --remote/,
      ],
      [['get', 'access_token', ...KEY, '--timeout', 'soon'], /E_USAGE --timeout must be a whole number/],
      [['get', 'access_token', ...KEY, '--bogus'], /E_USAGE unknown option '--bogus'/],
      [['get'], /E_USAGE missing required argument 'kind'/],
      [['fetch', 'access_token'], /E_USAGE unknown command "fetch"/],
      [
        ['doctor', '--remote', 'http://127.0.0.1:1', '--live'],
        /E_USAGE doctor --remote checks the service; --config, --uni-config-center/,
      ],
    ]
    const runs = await Promise.all(cases.map(([args]) => cli(args)))
    runs.forEach((run, i) => {
      const [args, message] = cases[i]!
      expect(run.code, `${args.join(' ')}\n${all(run)}`).toBe(2)
      expect(run.stderr, args.join(' ')).toMatch(message)
      expect(run.stderr).not.toMatch(/\n\s+at /) // never a stack
      expect(all(run)).not.toContain('CLI-not-json-token')
      expect(all(run)).not.toContain('CLI-sign-secret-0123456789')
    })

    expect(existsSync(join(dir, 'creds.db')), 'a usage error opens no tier').toBe(false)

    const json = await cli(['get', 'nope', ...KEY, '--json'])
    expect(json.code).toBe(2)
    expect(json.json()).toEqual({
      error: { code: 'E_USAGE', message: expect.stringContaining("unknown kind 'nope'") },
      exitCode: 2,
    })
    const parserJson = await cli(['get', 'access_token', ...KEY, '--json', '--bogus'])
    expect(parserJson.code).toBe(2)
    expect(parserJson.json()).toMatchObject({ error: { code: 'E_USAGE' }, exitCode: 2 })
  })

  it('a bad config exits 3 naming the field (never the secret); an unconfigured app exits 3', async () => {
    await writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({
        stores: ['memory', 'redis:/nohost'],
        apps: [{ platform: 'weixin-mp', appid: 'wx1', secret: mp.secret, tasks: ['acessToken'] }],
      }),
    )
    const bad = await cli(['get', 'access_token', ...KEY, '--config', 'bad.json', '--json'])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toMatch(
      /^open-bridge: E_INVALID_CONFIG apps\[0\]\.tasks\[0\] must be one of accessToken, ticket\b/,
    )
    expect(bad.json()).toMatchObject({ error: { code: 'E_INVALID_CONFIG' }, exitCode: 3 })
    expect(all(bad)).not.toContain(mp.secret)

    await writeConfig()
    const unknown = await cli(['get', 'access_token', '--dcloud-appid', '__UNI__NONE', '--platform', 'weixin-mp'])
    expect(unknown.code).toBe(3)
    expect(unknown.stderr).toMatch(/^open-bridge: E_UNKNOWN_APP /)
  })

  it('--help for every command, exit 0', async () => {
    const commands: Array<[string[], string[]]> = [
      [['--help'], ['serve', 'doctor', 'get', 'set', 'remove', 'refresh', 'Exit codes:', '--uni-config-center <dir>']],
      [
        ['get', '--help'],
        ['<kind>', '--show-value', '--dcloud-appid <id>', '--key <json>', '--remote <url>', '--json'],
      ],
      [
        ['set', '--help'],
        ['--value <json>', '--expires-in <seconds>'],
      ],
      [
        ['remove', '--help'],
        ['--openid <openid>', '--ticket-type <type>'],
      ],
      [
        ['refresh', '--help'],
        ['--if-value <credential>', '--show-value'],
      ],
      [
        ['doctor', '--help'],
        ['--live', '--remote <url>', '--timeout <ms>'],
      ],
      [
        ['serve', '--help'],
        ['--config <file>', '--uni-config-center <dir>'],
      ],
      [['help', 'get'], ['--show-value']],
    ]
    const runs = await Promise.all(commands.map(([args]) => cli(args)))
    runs.forEach((run, i) => {
      const [args, wanted] = commands[i]!
      expect(run.code, args.join(' ')).toBe(0)
      for (const text of wanted) expect(run.stdout, args.join(' ')).toContain(text)
    })
  })
})
