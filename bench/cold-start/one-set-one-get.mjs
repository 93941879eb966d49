// What a serverless function or a CLI call does on a cold start: import core, the SQLite tier and the WeChat
// source (the built packages, as an app would), make a bridge, write one credential and read it back.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBridge, memoryStore } from '@open-bridge/core'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { wechatSource } from '@open-bridge/wechat-fetchers'

const dir = mkdtempSync(join(tmpdir(), 'open-bridge-cold-'))
const bridge = createBridge({
  apps: [{ appid: 'wx0000000000000001', platform: 'weixin-mp', secret: 'cold-start-secret' }],
  stores: [memoryStore(), sqliteStore({ path: join(dir, 'bridge.db') })],
  source: wechatSource({ baseUrl: 'http://127.0.0.1:9' }),
})
const key = { appid: 'wx0000000000000001', platform: 'weixin-mp' }
await bridge.setAccessToken(key, { access_token: 'cold-start-token', expires_in: 7200 }, 7200)
const read = await bridge.getAccessToken(key)
if (read?.access_token !== 'cold-start-token') throw new Error('the read did not return what was written')
await bridge.close()
rmSync(dir, { recursive: true, force: true })
