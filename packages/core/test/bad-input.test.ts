import { BridgeError, createBridge, isBridgeError, memoryStore, type CredentialBridge } from '@open-bridge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

let bridge: CredentialBridge
beforeEach(() => {
  bridge = createBridge({
    stores: [memoryStore()],
    apps: [{ dcloudAppid: '__UNI__A', platform: 'weixin-mp', appid: 'wx123', secret: 'S3CR3T' }],
  })
})
afterEach(() => bridge.close())

/** Calls `run`, which must reject (not throw synchronously) with a BridgeError of `code` naming `field`. */
async function expectRefusal(run: () => Promise<unknown>, code: string, field: string) {
  let promise: Promise<unknown>
  try {
    promise = run()
  } catch (error) {
    throw new Error(`threw synchronously instead of rejecting: ${String(error)}`)
  }
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(BridgeError)
  expect(isBridgeError(error, code)).toBe(true)
  expect((error as BridgeError).field).toBe(field)
  expect((error as BridgeError).message).toContain(field.replace(/^key\./, '').replace(/\(\)$/, ''))
}

const mp = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' } as const

describe('E_INVALID_KEY', () => {
  it.each([
    ['not an object', 'nope', 'key'],
    ['null', null, 'key'],
    ['a missing platform', { dcloudAppid: '__UNI__A' }, 'key.platform'],
    ['an unknown platform', { dcloudAppid: '__UNI__A', platform: 'weixin-xx' }, 'key.platform'],
    ['neither dcloudAppid nor appid', { platform: 'weixin-mp' }, 'key.dcloudAppid'],
    ['an empty dcloudAppid', { dcloudAppid: '', platform: 'weixin-mp' }, 'key.dcloudAppid'],
    ['a numeric appid', { appid: 123, platform: 'weixin-mp' }, 'key.appid'],
    ['an appid with a colon', { appid: 'wx:1', platform: 'weixin-mp' }, 'key.appid'],
    [
      'an appid contradicting the dcloudAppid',
      { dcloudAppid: '__UNI__A', appid: 'wxOTHER', platform: 'weixin-mp' },
      'key.appid',
    ],
  ])('access_token key with %s', async (_, key, field) => {
    await expectRefusal(() => bridge.getAccessToken(key as never), 'E_INVALID_KEY', field)
    await expectRefusal(() => bridge.setAccessToken(key as never, { access_token: 'x' }), 'E_INVALID_KEY', field)
    await expectRefusal(() => bridge.removeAccessToken(key as never), 'E_INVALID_KEY', field)
  })

  it.each([
    ['getUserAccessToken', { ...mp }],
    ['getSessionKey', { ...mp, openid: '' }],
    ['getSessionKey', { ...mp, openid: 42 }],
    ['getEncryptKey', { ...mp, version: 1 }],
  ] as const)('%s without a usable openid', async (method, key) => {
    await expectRefusal(() => (bridge[method] as (k: unknown) => Promise<unknown>)(key), 'E_INVALID_KEY', 'key.openid')
  })

  it.each([[undefined], [0], [1.5], ['1'], [-2], [Number.NaN]])('encrypt_key with version %j', async (version) => {
    await expectRefusal(
      () => bridge.getEncryptKey({ ...mp, openid: 'o', version } as never),
      'E_INVALID_KEY',
      'key.version',
    )
  })

  it('ticket with an unknown ticketType', async () => {
    await expectRefusal(
      () => bridge.getTicket({ ...mp, ticketType: 'card' } as never),
      'E_INVALID_KEY',
      'key.ticketType',
    )
  })

  it('generic get with an unknown kind', async () => {
    const untypedGet = bridge.get.bind(bridge) as (kind: string, key: unknown) => Promise<unknown>
    await expectRefusal(() => untypedGet('refresh_token', mp), 'E_INVALID_KEY', 'kind')
  })
})

describe('E_UNKNOWN_APP', () => {
  it('a dcloudAppid not configured, or not on that platform', async () => {
    await expectRefusal(
      () => bridge.getAccessToken({ dcloudAppid: '__UNI__B', platform: 'weixin-mp' }),
      'E_UNKNOWN_APP',
      'key.dcloudAppid',
    )
    await expectRefusal(
      () => bridge.getAccessToken({ dcloudAppid: '__UNI__A', platform: 'weixin-h5' }),
      'E_UNKNOWN_APP',
      'key.dcloudAppid',
    )
  })
})

describe('E_INVALID_VALUE', () => {
  class Token {
    access_token = 'x'
  }
  it.each([
    ['a string', 'token'],
    ['null', null],
    ['an array', [1]],
    ['a number', 5],
    ['a class instance', new Token()],
  ])('%s', async (_, value) => {
    await expectRefusal(() => bridge.setAccessToken(mp, value as never, 60), 'E_INVALID_VALUE', 'value')
  })
})

describe('E_INVALID_EXPIRES', () => {
  it.each([[0], [-2], [Number.NaN], [Number.POSITIVE_INFINITY], [1e308], ['7200'], [null]])(
    'expiresIn %j',
    async (expiresIn) => {
      await expectRefusal(
        () => bridge.setAccessToken(mp, { access_token: 'x' }, expiresIn as never),
        'E_INVALID_EXPIRES',
        'expiresIn',
      )
    },
  )
})

describe('fallback results', () => {
  it('a fallback resolving a bad shape is refused, names the field, and stores nothing', async () => {
    await expectRefusal(
      () => bridge.getAccessToken(mp, async () => ({ value: 'tok', duration: 60 }) as never),
      'E_INVALID_VALUE',
      'fallback().value',
    )
    await expectRefusal(
      () => bridge.getAccessToken(mp, async () => ({ value: { access_token: 'x' }, duration: 0 })),
      'E_INVALID_EXPIRES',
      'fallback().duration',
    )
    await expectRefusal(() => bridge.getAccessToken(mp, async () => 'tok' as never), 'E_INVALID_VALUE', 'fallback()')
    expect(await bridge.getAccessToken(mp)).toBeNull()
  })
})

describe('the caller’s key', () => {
  it('is never mutated, by any method', async () => {
    const key = Object.freeze({ dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o1', version: 2 } as const)
    const snapshot = JSON.stringify(key)
    await bridge.setEncryptKey(key, { encrypt_key: 'k', iv: 'i' }, 60)
    await bridge.getEncryptKey(key)
    await bridge.getEncryptKey({ ...key, version: 3 }, async (k) => {
      // The fallback gets a copy with the platform appid filled in; the caller's key stays as it was.
      expect(k).toEqual({ ...key, version: 3, appid: 'wx123' })
      return { value: { encrypt_key: 'k3', iv: 'i3' }, duration: 60 }
    })
    await bridge.removeEncryptKey(key)
    expect(JSON.stringify(key)).toBe(snapshot)
  })
})

describe('errors never carry secrets or values', () => {
  it('messages name fields, not the secret or the value', async () => {
    const error = await bridge
      .setAccessToken({ appid: 'wx123', platform: 'weixin-mp' }, ['SECRET-VALUE'] as never, 60)
      .catch((e: unknown) => e)
    expect(JSON.stringify(error)).not.toContain('SECRET-VALUE')
    expect(String((error as Error).stack)).not.toContain('SECRET-VALUE')
    expect(JSON.stringify(error)).not.toContain('S3CR3T')
  })
})

describe('E_INVALID_CONFIG', () => {
  it.each([
    ['no options', undefined, 'options'],
    ['no stores', { stores: [] }, 'stores'],
    ['a store without methods', { stores: [{ name: 'x' }] }, 'stores[0]'],
    ['apps not an array', { stores: [memoryStore()], apps: {} }, 'apps'],
    [
      'an app with an unknown platform',
      { stores: [memoryStore()], apps: [{ platform: 'wechat', appid: 'wx1' }] },
      'apps[0].platform',
    ],
    ['an app without appid', { stores: [memoryStore()], apps: [{ platform: 'weixin-mp' }] }, 'apps[0].appid'],
    [
      'an appid with a colon',
      { stores: [memoryStore()], apps: [{ platform: 'weixin-mp', appid: 'wx:1' }] },
      'apps[0].appid',
    ],
    [
      'an app with an empty secret',
      { stores: [memoryStore()], apps: [{ platform: 'weixin-mp', appid: 'wx1', secret: '' }] },
      'apps[0].secret',
    ],
    [
      'the same dcloudAppid twice on a platform',
      {
        stores: [memoryStore()],
        apps: [
          { dcloudAppid: 'A', platform: 'weixin-mp', appid: 'wx1' },
          { dcloudAppid: 'A', platform: 'weixin-mp', appid: 'wx2' },
        ],
      },
      'apps[1].dcloudAppid',
    ],
    ['a source without fetch', { stores: [memoryStore()], source: {} }, 'source'],
    ['a negative refreshAhead', { stores: [memoryStore()], refreshAhead: -1 }, 'refreshAhead'],
    ['refreshAhead for an unknown kind', { stores: [memoryStore()], refreshAhead: { token: 1 } }, 'refreshAhead'],
    [
      'refreshAhead per kind not a number',
      { stores: [memoryStore()], refreshAhead: { ticket: '5m' } },
      'refreshAhead.ticket',
    ],
    ['a zero fetchTimeout', { stores: [memoryStore()], fetchTimeout: 0 }, 'fetchTimeout'],
    ['lock not an object', { stores: [memoryStore()], lock: 10 }, 'lock'],
    ['an infinite lock ttl', { stores: [memoryStore()], lock: { ttl: Infinity } }, 'lock.ttl'],
    ['a string waitTimeout', { stores: [memoryStore()], lock: { waitTimeout: '1s' } }, 'lock.waitTimeout'],
    ['a NaN pollInterval', { stores: [memoryStore()], lock: { pollInterval: NaN } }, 'lock.pollInterval'],
    ['a negative failureBackoff.min', { stores: [memoryStore()], failureBackoff: { min: -5 } }, 'failureBackoff.min'],
    [
      'failureBackoff.configuration zero',
      { stores: [memoryStore()], failureBackoff: { configuration: 0 } },
      'failureBackoff.configuration',
    ],
    ['breaker true', { stores: [memoryStore()], breaker: true }, 'breaker'],
  ])('%s', (_, options, field) => {
    let error: unknown
    try {
      createBridge(options as never)
    } catch (e) {
      error = e
    }
    expect(isBridgeError(error, 'E_INVALID_CONFIG')).toBe(true)
    expect((error as BridgeError).field).toBe(field)
  })

  it('never puts a configured secret into a config error', () => {
    let error: unknown
    try {
      createBridge({
        stores: [memoryStore()],
        apps: [
          { platform: 'weixin-mp', appid: 'wx1', secret: 'TOPSECRET' },
          { platform: 'weixin-mp', appid: 'wx1', secret: 'TOPSECRET' },
        ],
      })
    } catch (e) {
      error = e
    }
    expect(isBridgeError(error, 'E_INVALID_CONFIG')).toBe(true)
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain('TOPSECRET')
  })
})
