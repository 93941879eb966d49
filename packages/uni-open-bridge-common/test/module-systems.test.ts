import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workDir } from './support.js'

/**
 * Code written the uniCloud way, run as real child processes against the BUILT package (dist), from a uniCloud
 * project's directory: the bridge is built from `uniCloud/cloudfunctions/common/uni-config-center` found there and
 * `OPEN_BRIDGE_STORES` — nothing configured in code. Needs the build (`npm run build`, which `npm test` runs).
 */
const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const workspaceModules = fileURLToPath(new URL('../../../node_modules', import.meta.url))
let cwd: string
let cleanup: () => Promise<void>

// A cloud function, as uni-open-bridge-common's own docs write one: only the require line differs.
const cloudFunction = `'use strict';

const {
  getAccessToken,
  setAccessToken,
  removeAccessToken
} = require('@open-bridge/uni-open-bridge-common')

exports.main = async (event, context) => {
  const key = {
    dcloudAppid: '__UNI__COMPAT',
    platform: 'weixin-mp'
  }
  const value = {
    access_token: event.token
  }
  const expiresIn = 7200

  await setAccessToken(key, value, expiresIn)
  const result1 = await getAccessToken(key)
  await removeAccessToken(key)
  const result2 = await getAccessToken(key, async () => ({ value: { access_token: 'from-fallback' }, duration: 600 }))
  await setAccessToken(key, { access_token: event.keep }, expiresIn)
  return [result1, result2]
};
`
const cjsRunner = `const { close } = require('@open-bridge/uni-open-bridge-common')
require('./cloudfunction.js').main({ token: 'cjs-token', keep: 'kept-for-esm' }, {})
  .then((result) => console.log(JSON.stringify(result)), (error) => console.log(JSON.stringify({ code: error.code, name: error.name })))
  .finally(() => close())
`
const esmScript = `import { getAccessToken, getTicket, close } from '@open-bridge/uni-open-bridge-common'

try {
  const kept = await getAccessToken({ appid: 'wxcompat00000001', platform: 'weixin-mp' })
  const bad = await getTicket({ dcloudAppid: '__UNI__COMPAT' })
    .catch((error) => ({ name: error.name, code: error.code, field: error.field }))
  console.log(JSON.stringify([kept, bad]))
} finally {
  await close()
}
`

const node = async (file: string, env: NodeJS.ProcessEnv = {}) => {
  const { stdout } = await run(process.execPath, [file], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  })
  return JSON.parse(stdout.trim()) as unknown
}

describe('@open-bridge/uni-open-bridge-common from a uniCloud project, CommonJS and ESM (built package, child processes)', () => {
  beforeAll(async () => {
    if (!existsSync(join(packageDir, 'dist', 'index.cjs')))
      throw new Error('packages/uni-open-bridge-common is not built: run `npm run build` first')
    ;({ dir: cwd, cleanup } = await workDir({ unicloud: true }))
    // The project resolves the workspace's packages (their builds) as an installed node_modules would.
    await symlink(workspaceModules, join(cwd, 'node_modules'), 'dir')
    await writeFile(join(cwd, 'cloudfunction.js'), cloudFunction)
    await writeFile(join(cwd, 'run.cjs'), cjsRunner)
    await writeFile(join(cwd, 'read.mjs'), esmScript)
  })
  afterAll(() => cleanup?.())

  it('require(): the destructured functions set, get and remove; the fallback fills a miss', async () => {
    const out = await node('run.cjs', { OPEN_BRIDGE_STORES: 'memory,sqlite:./credentials.db' })
    expect(out).toEqual([{ access_token: 'cjs-token' }, { access_token: 'from-fallback' }])
  })

  it('import: another process reads what the first one left in the shared SQLite store; bad keys are typed errors', async () => {
    const out = await node('read.mjs', { OPEN_BRIDGE_STORES: 'memory,sqlite:./credentials.db' })
    expect(out).toEqual([
      { access_token: 'kept-for-esm' },
      { name: 'BridgeError', code: 'E_INVALID_KEY', field: 'key.platform' },
    ])
  })

  it('without any configuration in reach, the first call rejects E_NO_CONFIG (the process still exits)', async () => {
    const empty = await workDir()
    try {
      await symlink(workspaceModules, join(empty.dir, 'node_modules'), 'dir')
      await writeFile(join(empty.dir, 'cloudfunction.js'), cloudFunction)
      await writeFile(join(empty.dir, 'run.cjs'), cjsRunner)
      const { stdout } = await run(process.execPath, ['run.cjs'], {
        cwd: empty.dir,
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
        timeout: 30_000,
      })
      expect(JSON.parse(stdout.trim())).toEqual({ code: 'E_NO_CONFIG', name: 'UniCommonError' })
    } finally {
      await empty.cleanup()
    }
  })
})
