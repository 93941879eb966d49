import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliRun, runCli } from './cli-run.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-cli-help-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: dir, env, timeoutMs: 90_000 })
const all = (run: CliRun) => run.stdout + run.stderr
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_OUT = /[\u0000-\u0008\u000b-\u001f\u202e]/

// One child at a time: a loaded machine starts each in its own time.
describe('help, unknown commands, short secrets (real child processes)', { timeout: 240_000 }, () => {
  it('get --help --json prints the help as one JSON document, exit 0', async () => {
    for (const args of [
      ['get', '--help', '--json'],
      ['help', 'get', '--json'],
    ]) {
      const run = await cli(args)
      expect(run.code, all(run)).toBe(0)
      const doc = run.json()
      expect(doc).toMatchObject({ command: 'get', exitCode: 0 })
      expect(doc.help).toEqual(expect.stringContaining('Usage: open-bridge get [options] <kind>'))
      expect(doc.help).toEqual(expect.stringContaining('--show-value'))
    }
    const top = await cli(['--help', '--json'])
    expect(top.code).toBe(0)
    expect(top.json()).toMatchObject({ command: null, exitCode: 0, help: expect.stringContaining('Exit codes:') })
  })

  it('an unknown command with --help is a usage error (exit 2), not the main help', async () => {
    // `quotas` (one letter off the real `quota` command): a typo is refused, not answered with the main help.
    for (const args of [['quotas', '--help'], ['help', 'quotas'], ['quotas']]) {
      const run = await cli(args)
      expect(run.code, `${args.join(' ')}\n${all(run)}`).toBe(2)
      expect(run.stderr).toMatch(/^open-bridge: E_USAGE unknown command "quotas" \(commands: serve, get, set/)
      expect(run.stdout).not.toContain('Usage:')
    }
    const json = await cli(['quotas', '--help', '--json'])
    expect(json.code).toBe(2)
    expect(json.json()).toMatchObject({ error: { code: 'E_USAGE' }, exitCode: 2 })
    // What was typed is echoed escaped: no right-to-left override, no control character.
    const nasty = await cli(['quo\u202eta\u0007', '--help'])
    expect(nasty.code).toBe(2)
    expect(nasty.stderr).toContain('unknown command "quo\\u202eta\\u0007"')
    expect(all(nasty)).not.toMatch(UNSAFE_OUT)
    const option = await cli(['get', 'access_token', '--bo\u202egus'])
    expect(option.code).toBe(2)
    expect(option.stderr).toContain("unknown option '--bo\\u202egus'")
    expect(all(option)).not.toMatch(UNSAFE_OUT)
  })

  it('a signing secret under 16 characters is a usage error naming where it came from, never echoed', async () => {
    const target = [
      'get',
      'access_token',
      '--appid',
      'wx1',
      '--platform',
      'weixin-mp',
      '--remote',
      'http://127.0.0.1:1',
    ]
    const env = await cli([...target, '--json'], { OPEN_BRIDGE_SECRET: 'short-s3cret' })
    expect(env.code, all(env)).toBe(2)
    expect(env.stderr).toMatch(/^open-bridge: E_USAGE OPEN_BRIDGE_SECRET is shorter than a signing secret can be/)
    expect(env.json()).toMatchObject({
      error: { code: 'E_USAGE', message: expect.stringContaining('OPEN_BRIDGE_SECRET') },
      exitCode: 2,
    })
    expect(all(env)).not.toContain('short-s3cret')
    const flag = await cli([...target, '--secret', 'short-s3cret'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toMatch(/^open-bridge: E_USAGE --secret is shorter/)
    expect(all(flag)).not.toContain('short-s3cret')
    const doctor = await cli(['doctor', '--remote', 'http://127.0.0.1:1'], { OPEN_BRIDGE_SECRET: 'short-s3cret' })
    expect(doctor.code).toBe(2)
    expect(doctor.stderr).toContain('OPEN_BRIDGE_SECRET is shorter')
  })
})
