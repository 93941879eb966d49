/**
 * `encryption` in the server's config file: keys from the environment (`{ "env": "NAME" }`), checked at start
 * (a missing, short or malformed key fails naming the key id and the field, never the key), and the bridge the
 * config opens seals what it writes into a real SQLite file.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EncryptionKey } from '@open-bridge/core'
import { loadConfig } from '../src/config/load-config.js'
import { openConfiguredBridge } from '../src/configured-bridge.js'

const KEY_1 = randomBytes(32).toString('base64')
const KEY_0 = randomBytes(32).toString('base64')
const TOKEN = 'ACCESS_TOKEN_server_sealed_0042'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-config-enc-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function loadWith(config: unknown, env: NodeJS.ProcessEnv) {
  await writeFile(join(dir, 'open-bridge.config.json'), JSON.stringify(config))
  return loadConfig({ cwd: dir, env })
}
const refusal = (config: unknown, env: NodeJS.ProcessEnv) =>
  loadWith(config, env).then(
    () => expect.unreachable('must be refused'),
    (e: unknown) => e as Error & { code: string; field: string },
  )

const encryption = {
  keys: [
    { id: 'k1', key: { env: 'OB_KEY_1' } },
    { id: 'k0', key: { env: 'OB_KEY_0' } },
  ],
}

describe('encryption in the config file', () => {
  it('reads the keys from the environment; views of the config mask them; the bridge seals SQLite', async () => {
    const config = await loadWith(
      { stores: ['memory', 'sqlite:./sealed.db'], encryption },
      { OB_KEY_1: KEY_1, OB_KEY_0: KEY_0 },
    )
    expect((config.encryption!.keys as EncryptionKey[]).map((k) => k.id)).toEqual(['k1', 'k0'])
    const views = `${inspect(config, { depth: 10 })}${JSON.stringify(config)}`
    expect(views).not.toContain(KEY_1)
    expect(views).not.toContain(KEY_0)
    const { bridge } = await openConfiguredBridge(config)
    await bridge.setAccessToken({ appid: 'wxsealed', platform: 'weixin-mp' }, { access_token: TOKEN }, 600)
    expect(await bridge.getAccessToken({ appid: 'wxsealed', platform: 'weixin-mp' })).toEqual({ access_token: TOKEN })
    await bridge.close()
    const path = join(dir, 'sealed.db')
    const bytes = ['', '-wal']
      .filter((s) => existsSync(path + s))
      .map((s) => readFileSync(path + s, 'latin1'))
      .join('')
    expect(bytes).toContain('"kid":"k1"')
    expect(bytes).not.toContain(TOKEN)
  })

  it('a short key fails at start naming its key id and field, never quoting it', async () => {
    const short = randomBytes(16).toString('base64')
    const error = await refusal({ encryption }, { OB_KEY_1: KEY_1, OB_KEY_0: short })
    expect(error.code).toBe('E_INVALID_CONFIG')
    expect(error.field).toBe('encryption.keys[1].key')
    expect(error.message).toContain('"k0"')
    expect(`${error.message}${inspect(error)}${JSON.stringify(error)}`).not.toContain(short)
  })

  it('an unset variable fails naming the field and the variable', async () => {
    const error = await refusal({ encryption }, { OB_KEY_1: KEY_1 })
    expect(error.field).toBe('encryption.keys[1].key')
    expect(error.message).toContain('OB_KEY_0')
  })

  it('the file is checked: keys required, ids of the allowed letters, no unknown field', async () => {
    expect((await refusal({ encryption: {} }, {})).code).toBe('E_INVALID_CONFIG')
    expect((await refusal({ encryption: { keys: [{ id: 'a b', key: KEY_1 }] } }, {})).field).toContain(
      'encryption.keys[0].id',
    )
    expect((await refusal({ encryption: { keys: [{ id: 'a', key: KEY_1 }], nope: 1 } }, {})).code).toBe(
      'E_INVALID_CONFIG',
    )
    expect(
      (
        await refusal(
          {
            encryption: {
              keys: [
                { id: 'a', key: KEY_1 },
                { id: 'a', key: KEY_0 },
              ],
            },
          },
          {},
        )
      ).field,
    ).toBe('encryption.keys[1].id')
  })

  it('acceptPlain passes through', async () => {
    const config = await loadWith(
      { encryption: { ...encryption, acceptPlain: true } },
      { OB_KEY_1: KEY_1, OB_KEY_0: KEY_0 },
    )
    expect(config.encryption?.acceptPlain).toBe(true)
  })
})
