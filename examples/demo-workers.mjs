// `npm run demo`: several worker processes share one access_token, fetched from the platform once.
// Each worker has its own memory tier over one SQLite file; the SQLite lock table makes the first miss
// of the deployment the only one that reaches the platform (the fake WeChat here), however many workers ask.
// Run after `npm install`: npm run demo   (or: node examples/demo-workers.mjs [workers])
import { fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBridge, memoryStore } from '@open-bridge/core'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'

const mp = { appid: 'wx1234567890abcdef', secret: 'mp-test-secret' }
const READS_PER_WORKER = 25

if (process.argv[2] === 'worker') {
  // ── a worker: its own bridge, the shared SQLite file; reports a fingerprint of the token, never the token ──
  const [, , , fakeUrl, dbPath] = process.argv
  const bridge = createBridge({
    stores: [memoryStore({ maxTtl: 60_000 }), sqliteStore({ path: dbPath })],
    apps: [{ dcloudAppid: '__UNI__DEMO', platform: 'weixin-mp', ...mp }],
    source: wechatSource({ baseUrl: fakeUrl }),
  })
  process.send('ready')
  await new Promise((resolve) => process.once('message', resolve)) // start together
  const tokens = await Promise.all(
    Array.from({ length: READS_PER_WORKER }, () =>
      bridge.getAccessToken({ dcloudAppid: '__UNI__DEMO', platform: 'weixin-mp' }),
    ),
  )
  const fingerprints = new Set(
    tokens.map((t) => createHash('sha256').update(t.access_token).digest('hex').slice(0, 12)),
  )
  await bridge.close()
  process.send([...fingerprints])
  process.disconnect()
} else {
  const workers = Number(process.argv[2] ?? 4)
  const fake = await startFakeWeChat({ apps: [mp], latencyMs: 50 }) // a platform that takes its time, like the real one
  const dir = mkdtempSync(join(tmpdir(), 'open-bridge-demo-'))
  const self = fileURLToPath(import.meta.url)
  const children = Array.from({ length: workers }, () => fork(self, ['worker', fake.url, join(dir, 'credentials.db')]))
  const next = (child) => new Promise((resolve, reject) => child.once('message', resolve).once('error', reject))
  await Promise.all(children.map(next)) // every worker is up
  const results = children.map(next)
  for (const child of children) child.send('go')
  const seen = new Set((await Promise.all(results)).flat())
  await Promise.all(
    children.map(
      (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve))),
    ),
  )
  console.log(`${workers} worker processes, ${workers * READS_PER_WORKER} reads`)
  console.log('upstream token calls:', fake.calls('stable_token') + fake.calls('token'))
  console.log('every worker got the same token:', seen.size === 1)
  await fake.close()
  rmSync(dir, { recursive: true, force: true })
}
