import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeWeChat, type FakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { signRequest } from '../src/sign-request.js'
import { post, spawnCli, type CliChild } from './serve-child.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const mp = { appid: 'wx1234567890abcdef', secret: 'PROC-app-secret-3f9e1d' }
const SIGNING = 'PROC-signing-secret-0a8b7c6d5e'

let dir: string
let children: CliChild[]
let fake: FakeWeChat | undefined
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-serve-'))
  children = []
})
afterEach(async () => {
  await Promise.all(children.map((c) => c.kill()))
  await fake?.close()
  fake = undefined
  await rm(dir, { recursive: true, force: true })
})

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const child = spawnCli(args, { cwd: dir, env })
  children.push(child)
  return child
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

describe('open-bridge serve (a real child process)', { timeout: 60_000 }, () => {
  it("`npm start` runs the CLI's serve, and with no config at all it serves the embedded default, saying so in one line", async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.start).toBe('node packages/server/dist/cli.js serve')

    expect(await portIsFree(8787), 'port 8787 must be free for the default-config test').toBe(true)
    const server = cli(['serve'])
    const base = await server.url()
    expect(base).toBe('http://127.0.0.1:8787')
    const defaults = server.lines.filter((line) => line.includes('embedded default'))
    expect(defaults).toHaveLength(1)
    expect(JSON.parse(defaults[0]!).msg).toContain('memory + SQLite ./open-bridge.db on 127.0.0.1:8787')

    // The README's curl: set a credential, read it back.
    expect(
      await post(base, '/setAccessToken', {
        dcloudAppid: undefined,
        appid: 'wx-readme',
        platform: 'weixin-mp',
        value: { access_token: 'hello' },
        expiresIn: 7200,
      }),
    ).toEqual({
      status: 200,
      body: null,
    })
    expect(await post(base, '/getAccessToken', { appid: 'wx-readme', platform: 'weixin-mp' })).toEqual({
      status: 200,
      body: { access_token: 'hello' },
    })
    expect(existsSync(join(dir, 'open-bridge.db'))).toBe(true)

    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
  })

  it('SIGTERM with requests in flight: every one is answered, then the process exits 0', async () => {
    fake = await startFakeWeChat({ apps: [mp], latencyMs: { stable_token: 3_000 } })
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({
        stores: ['memory', 'sqlite:./creds.db'],
        apps: [
          {
            dcloudAppid: '__UNI__P',
            platform: 'weixin-mp',
            appid: mp.appid,
            secret: { env: 'WX_MP_SECRET' },
            tasks: [],
          },
        ],
        // No drain period: this test is about what comes after it (serve-limits.test.ts tests the drain).
        server: { port: 0, drainMs: 0 },
        wechat: { baseUrl: fake.url, retry: { retries: 0 } },
      }),
    )
    const server = cli(['serve'], { WX_MP_SECRET: mp.secret })
    const base = await server.url()

    // Five callers miss together: one fetch to the (slow) platform, all five wait on it.
    const inFlight = Array.from({ length: 5 }, () =>
      post(base, '/getAccessToken', { dcloudAppid: '__UNI__P', platform: 'weixin-mp' }),
    )
    // Signal once all five are inside the server and the one platform call is under way (it takes 3 s).
    const deadline = Date.now() + 20_000
    while (
      server.lines.filter((line) => line.includes('"msg":"incoming request"')).length < 5 ||
      fake.calls('stable_token') < 1
    ) {
      if (Date.now() > deadline) throw new Error(`requests never arrived:\n${server.lines.join('\n')}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(fake.calls('stable_token')).toBe(1)
    server.child.kill('SIGTERM')
    await server.waitFor(/shutting down/)

    const answers = await Promise.all(inFlight)
    for (const answer of answers) {
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({ access_token: expect.any(String) })
    }
    // A request after the signal is turned away: a new connection is refused, a kept-alive one answered 503.
    const late = await post(base, '/getAccessToken', { dcloudAppid: '__UNI__P', platform: 'weixin-mp' }).then(
      (answer) => answer.status,
      () => 'refused',
    )
    expect([503, 'refused']).toContain(late)
    expect(await server.exited, server.lines.join('\n')).toEqual({ code: 0, signal: null })
    expect(server.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true)
  })

  it('no secret, token or signature in any line the process writes', async () => {
    fake = await startFakeWeChat({ apps: [mp] })
    await writeFile(
      join(dir, 'open-bridge.config.json'),
      JSON.stringify({
        apps: [{ dcloudAppid: '__UNI__L', platform: 'weixin-mp', appid: mp.appid, secret: mp.secret }],
        schedule: { cron: '* * * * * *', jitterMs: 0 },
        server: { port: 0, auth: { signingSecret: { env: 'OB_SIGNING' } } },
        log: { level: 'trace' },
        wechat: { baseUrl: fake.url, retry: { retries: 0 } },
        // A configuration error is remembered for a minute by default; this test wants the next run to fetch.
        refresh: { failureBackoff: { configuration: 500 } },
      }),
    )
    fake.inject('stable_token', { errcode: 40164, errmsg: 'invalid ip, not in whitelist' }, 1)
    const server = cli(['serve'], { OB_SIGNING: SIGNING })
    const base = await server.url()
    const signed = (path: string, body: unknown) => {
      const text = JSON.stringify(body)
      return post(
        base,
        path,
        text,
        signRequest({ secret: SIGNING, method: 'POST', path, body: text, audience: new URL(base).host }),
      )
    }

    await server.waitFor(/scheduled refresh failed/) // the first scheduled run hit the injected errcode …
    await server.waitFor(/scheduled refresh: credential held/) // … and a later one fetched the token
    const fetched = await signed('/getAccessToken', { dcloudAppid: '__UNI__L', platform: 'weixin-mp' })
    expect(fetched.status).toBe(200)
    const token = (fetched.body as { access_token: string }).access_token

    const USER_TOKEN = 'PROC-user-token-77aa'
    expect(
      (
        await signed('/setUserAccessToken', {
          dcloudAppid: '__UNI__L',
          platform: 'weixin-mp',
          openid: 'o1',
          value: { access_token: USER_TOKEN },
        })
      ).status,
    ).toBe(200)
    const unsigned = await post(
      base,
      '/getAccessToken',
      { dcloudAppid: '__UNI__L', platform: 'weixin-mp' },
      { 'x-ob-signature': 'f'.repeat(64) },
    )
    expect(unsigned.status).toBe(401)
    expect(
      (await signed('/getSessionKey', { dcloudAppid: '__UNI__L', platform: 'weixin-mp', openid: 1, secret: mp.secret }))
        .status,
    ).toBe(400)
    // /metrics takes the signing secret as a bearer (scrapers cannot sign); the header is redacted from the logs.
    expect((await fetch(`${base}/metrics`)).status).toBe(401)
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SIGNING}` } })).status).toBe(200)

    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
    const failure = server.lines.find((line) => line.includes('scheduled refresh failed'))!
    expect(JSON.parse(failure)).toMatchObject({
      level: 40,
      appid: mp.appid,
      app: '__UNI__L',
      task: 'accessToken',
      errcode: 40164,
      category: 'config',
    })
    for (const line of server.lines) expect(() => JSON.parse(line), line).not.toThrow()
    const everything = server.lines.join('\n')
    for (const secret of [mp.secret, SIGNING, token, USER_TOKEN, 'f'.repeat(64)])
      expect(everything).not.toContain(secret)
  })

  it('refuses to start, exit 1, on a bad config (naming the field, not the secret) or an unguarded public address', async () => {
    await writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({ apps: [{ platform: 'weixin-mp', appid: 'wx1', secret: mp.secret, tasks: ['acessToken'] }] }),
    )
    const bad = cli(['serve', '--config', 'bad.json'])
    expect((await bad.exited).code).toBe(1)
    expect(bad.lines.join('\n')).toContain(
      'open-bridge: cannot start: E_INVALID_CONFIG apps[0].tasks[0] must be one of accessToken, ticket',
    )
    expect(bad.lines.join('\n')).not.toContain(mp.secret)

    await writeFile(join(dir, 'public.json'), JSON.stringify({ server: { host: '0.0.0.0', port: 0 } }))
    const exposed = cli(['serve', '-c', 'public.json'])
    expect((await exposed.exited).code).toBe(1)
    expect(exposed.lines.join('\n')).toContain('E_UNSAFE_EXPOSURE')
    expect(existsSync(join(dir, 'open-bridge.db'))).toBe(false) // refused before any tier was opened
  })

  it('bad usage exits 2 with the usage text; --help exits 0', async () => {
    const none = cli([])
    expect((await none.exited).code).toBe(2)
    expect(none.lines.join('\n')).toContain('Usage: open-bridge serve')
    const unknown = cli(['serve', '--port', '1'])
    expect((await unknown.exited).code).toBe(2)
    const help = cli(['--help'])
    expect((await help.exited).code).toBe(0)
    expect(help.lines.join('\n')).toContain('--uni-config-center <dir>')
  })
})
