import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * Installs the packed package (what npm would publish) into a project outside the workspace and loads it
 * both ways. Needs the build (`npm run build`, which `npm install` and `npm test` run).
 */
const packageDir = fileURLToPath(new URL('..', import.meta.url))
let consumer: string

const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' }).trim()

// A round trip through the public API, in the syntax of each module system.
const script = (load: string) => `
${load}
const bridge = createBridge({ stores: [memoryStore()], apps: [{ dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx1' }] })
bridge.setAccessToken({ dcloudAppid: '__UNI__A', platform: 'weixin-mp' }, { access_token: 't' }, 60)
  .then(() => bridge.getAccessToken({ appid: 'wx1', platform: 'weixin-mp' }))
  .then((v) => bridge.getAccessToken({ platform: 'weixin-mp' }).catch((e) => { console.log(JSON.stringify([v, e instanceof BridgeError, e.code])) }))
`

describe('@open-bridge/core as a consumer installs it', () => {
  beforeAll(() => {
    if (!existsSync(join(packageDir, 'dist', 'index.cjs')))
      throw new Error('packages/core is not built: run `npm run build` first')
    consumer = mkdtempSync(join(tmpdir(), 'open-bridge-consumer-'))
    execFileSync('npm', ['pack', packageDir, '--pack-destination', consumer, '--silent'], { encoding: 'utf8' })
    const tarball = readdirSync(consumer).find((file) => file.endsWith('.tgz'))!
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }))
    execFileSync('npm', ['install', `./${tarball}`, '--prefer-offline', '--no-audit', '--no-fund', '--silent'], {
      cwd: consumer,
      encoding: 'utf8',
    })
  }, 180_000)
  afterAll(() => {
    if (consumer) rmSync(consumer, { recursive: true, force: true })
  })

  it('require() loads the CommonJS build', () => {
    const out = node(['-e', script(`const { createBridge, memoryStore, BridgeError } = require('@open-bridge/core')`)])
    expect(JSON.parse(out)).toEqual([{ access_token: 't' }, true, 'E_INVALID_KEY'])
  })

  it('import() loads the ES module build', () => {
    const out = node([
      '--input-type=module',
      '-e',
      script(`const { createBridge, memoryStore, BridgeError } = await import('@open-bridge/core')`),
    ])
    expect(JSON.parse(out)).toEqual([{ access_token: 't' }, true, 'E_INVALID_KEY'])
  })

  it('ships only the build, the README and package.json, and resolves its testing entry', () => {
    const files = node([
      '-e',
      `console.log(JSON.stringify(require('fs').readdirSync('node_modules/@open-bridge/core').sort()))`,
    ])
    expect(JSON.parse(files)).toEqual(['README.md', 'dist', 'package.json'])
    expect(node(['-e', `console.log(require.resolve('@open-bridge/core/testing'))`])).toMatch(/dist[/\\]testing\.cjs$/)
  })

  it('loads chaosStore from @open-bridge/core/testing/chaos both ways, without vitest installed', () => {
    expect(existsSync(join(consumer, 'node_modules', 'vitest'))).toBe(false)
    const use = `
const { createBridge, memoryStore, isBridgeError } = core
const { store, chaos } = chaosStore(memoryStore())
chaos.fail('set')
createBridge({ stores: [store] }).setAccessToken({ appid: 'wx1', platform: 'weixin-mp' }, { access_token: 't' }, 60)
  .then(() => console.log('written'), (e) => console.log(JSON.stringify([isBridgeError(e), chaos.calls.set])))
`
    const required = node([
      '-e',
      `const core = require('@open-bridge/core'); const { chaosStore } = require('@open-bridge/core/testing/chaos')\n${use}`,
    ])
    const imported = node([
      '--input-type=module',
      '-e',
      `const core = await import('@open-bridge/core'); const { chaosStore } = await import('@open-bridge/core/testing/chaos')\n${use}`,
    ])
    // The refused write reaches the caller as an open-bridge error (every tier failed), after one call to set.
    expect(JSON.parse(required)).toEqual([true, 1])
    expect(JSON.parse(imported)).toEqual([true, 1])
  })
})
