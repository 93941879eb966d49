import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load-config.js'

const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const SECRET = 'component-secret-cfg-93ab'
const TOKEN = 'pushTokenCfg42'
const good = {
  componentAppid: 'wx0123456789abcdef',
  componentSecret: { env: 'C_SECRET' },
  token: { env: 'C_TOKEN' },
  encodingAESKey: { env: 'C_KEY' },
}
const env = { C_SECRET: SECRET, C_TOKEN: TOKEN, C_KEY: KEY }

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-config-op-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function load(openPlatform: unknown, withEnv: NodeJS.ProcessEnv = env) {
  await writeFile(join(dir, 'open-bridge.config.json'), JSON.stringify({ stores: ['memory'], openPlatform }))
  return loadConfig({ cwd: dir, env: withEnv })
}
async function failure(openPlatform: unknown, withEnv: NodeJS.ProcessEnv = env) {
  const error = await load(openPlatform, withEnv).then(
    () => undefined,
    (e: unknown) => e as { code: string; field: string; message: string },
  )
  expect(error, 'the config must be refused').toBeDefined()
  return error!
}

describe('openPlatform in the config file', () => {
  it('resolves { env } secrets; every view of the config masks them', async () => {
    const config = await load([
      { ...good, publicUrl: 'https://bridge.example.com/', redirectOrigins: ['https://app.example.com'] },
    ])
    expect(config.openPlatform).toHaveLength(1)
    const [component] = config.openPlatform
    expect(component).toMatchObject({
      componentAppid: good.componentAppid,
      componentSecret: SECRET,
      token: TOKEN,
      encodingAESKey: KEY,
      publicUrl: 'https://bridge.example.com',
      redirectOrigins: ['https://app.example.com'],
      field: 'openPlatform[0]',
    })
    for (const view of [inspect(config, { depth: 10 }), JSON.stringify(config)])
      for (const secret of [SECRET, TOKEN, KEY]) expect(view).not.toContain(secret)
  })

  it("the README's Open Platform example loads as it is", async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const example = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((text) => text.includes('"openPlatform"'))!
    await writeFile(join(dir, 'open-bridge.config.json'), example.replace('redis://cache:6379', 'memory'))
    const config = await loadConfig({
      cwd: dir,
      env: {
        OB_SIGNING: 'sixteen-chars-or-more',
        COMPONENT_SECRET: 's',
        COMPONENT_PUSH_TOKEN: 't',
        COMPONENT_AES_KEY: KEY,
      },
    })
    expect(config.openPlatform.map((c) => c.componentAppid)).toEqual(['wx0123456789abcdef'])
  })

  it.each([
    ['an appid that is not wx…', [{ ...good, componentAppid: 'nope' }], 'openPlatform[0].componentAppid'],
    ['a missing EncodingAESKey', [{ ...good, encodingAESKey: undefined }], 'openPlatform[0].encodingAESKey'],
    [
      'an EncodingAESKey of 42 characters',
      [{ ...good, encodingAESKey: KEY.slice(1) }],
      'openPlatform[0].encodingAESKey',
    ],
    ['a Token with a space', [{ ...good, token: 'has space' }], 'openPlatform[0].token'],
    ['an unknown field', [{ ...good, aesKey: KEY }], 'openPlatform[0].aesKey'],
    ['a component twice', [good, good], 'openPlatform[1].componentAppid'],
    ['a publicUrl with a query', [{ ...good, publicUrl: 'https://b.example/?x=1' }], 'openPlatform[0].publicUrl'],
    [
      'a redirect origin with a path',
      [{ ...good, redirectOrigins: ['https://a.example/path'] }],
      'openPlatform[0].redirectOrigins[0]',
    ],
  ])('%s → E_INVALID_CONFIG naming %s, never the value', async (_what, openPlatform, field) => {
    const error = await failure(openPlatform)
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', field })
    for (const secret of [SECRET, TOKEN, KEY, KEY.slice(1)]) expect(error.message).not.toContain(secret)
  })

  it('an { env } secret whose variable is unset names the field and the variable', async () => {
    const error = await failure([good], { C_SECRET: SECRET, C_TOKEN: TOKEN })
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', field: 'openPlatform[0].encodingAESKey' })
    expect(error.message).toContain('C_KEY')
  })
})
