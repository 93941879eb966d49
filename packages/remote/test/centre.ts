/**
 * A central open-bridge for the tests: `startServer` from @open-bridge/server (config file in a temp dir,
 * memory tier, the WeChat source pointed at the fake WeChat), listening on loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type RunningServer } from '@open-bridge/server'

export const SECRET = 'centre-signing-secret-0123456789'
export const MP = { appid: 'wxremote0000000001', secret: 'APPSECRET-remote-do-not-leak' }

export interface Centre {
  running: RunningServer
  url: string
  port: number
  close(): Promise<void>
}

/** Starts a centre; `port` 0 for a free one (pass the old port to restart "the same" centre). */
export async function startCentre(fakeUrl: string, port = 0): Promise<Centre> {
  const dir = await mkdtemp(join(tmpdir(), 'ob-remote-'))
  const configPath = join(dir, 'open-bridge.config.json')
  const config = {
    stores: ['memory'],
    apps: [{ platform: 'weixin-mp', appid: MP.appid, secret: { env: 'OB_TEST_MP_SECRET' } }],
    wechat: { baseUrl: fakeUrl },
    server: { host: '127.0.0.1', port, auth: { signingSecret: { env: 'OB_TEST_SIGNING_SECRET' } } },
    schedule: { enable: false },
    log: { level: 'silent' },
  }
  await writeFile(configPath, JSON.stringify(config))
  const env = { ...process.env, OB_TEST_MP_SECRET: MP.secret, OB_TEST_SIGNING_SECRET: SECRET }
  const running = await startServer({ configPath, env })
  return {
    running,
    url: running.url,
    port: Number(new URL(running.url).port),
    async close() {
      await running.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
