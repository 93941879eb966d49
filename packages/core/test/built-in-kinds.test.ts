import {
  BUILT_IN_KINDS,
  CREDENTIAL_FIELDS,
  CREDENTIAL_KINDS,
  createBridge,
  kindDefinition,
  memoryStore,
  registerKind,
  keyField,
} from '@open-bridge/core'
import { describe, expect, it } from 'vitest'
import { resolveCoordination } from '../src/coordination-options.js'

const app = { dcloudAppid: '__UNI__A', platform: 'weixin-mp' as const, appid: 'wxAPP' }
const keys = {
  access_token: [
    { appid: 'wxAPP', platform: 'weixin-mp' },
    { dcloudAppid: '__UNI__A', platform: 'weixin-mp' },
  ],
  ticket: [
    { appid: 'wxAPP', platform: 'weixin-h5' },
    { appid: 'wxAPP', platform: 'weixin-h5', ticketType: 'jsapi' },
    { appid: 'wxAPP', platform: 'weixin-h5', ticketType: 'wx_card' },
  ],
  user_access_token: [{ appid: 'wxAPP', platform: 'weixin-web', openid: 'o1' }],
  session_key: [{ dcloudAppid: '__UNI__A', platform: 'weixin-mp', openid: 'o-2' }],
  encrypt_key: [{ appid: 'wxAPP', platform: 'weixin-mp', openid: 'o3', version: 7 }],
  user_refresh_token: [{ appid: 'wxAPP', platform: 'qq-app', openid: 'o4' }],
} as const

describe('the built-in kinds as definitions', () => {
  it('cover exactly the six kinds, each with its credential field', () => {
    expect(Object.keys(BUILT_IN_KINDS).sort()).toEqual([...CREDENTIAL_KINDS].sort())
    for (const kind of CREDENTIAL_KINDS) {
      expect(BUILT_IN_KINDS[kind].name).toBe(kind)
      expect(BUILT_IN_KINDS[kind].credentialField).toBe(CREDENTIAL_FIELDS[kind])
      expect(BUILT_IN_KINDS[kind].durable ?? false).toBe(false)
      expect(BUILT_IN_KINDS[kind].pushed ?? false).toBe(false)
      expect(kindDefinition(kind)).toBe(BUILT_IN_KINDS[kind])
    }
    expect(BUILT_IN_KINDS.encrypt_key.companionFields).toEqual(['iv'])
    expect(Object.isFrozen(BUILT_IN_KINDS.ticket.keyFields)).toBe(true)
  })

  it('their layout is the fast path’s, byte for byte (uni-open-bridge’s `uni-id:<platform>:<appid>[:<openid>]:<type>`)', () => {
    const bridge = createBridge({ stores: [memoryStore()], apps: [app] })
    const expected: Record<string, string[]> = {
      access_token: ['uni-id:weixin-mp:wxAPP:access-token', 'uni-id:weixin-mp:wxAPP:access-token'],
      ticket: [
        'uni-id:weixin-h5:wxAPP:ticket',
        'uni-id:weixin-h5:wxAPP:ticket',
        'uni-id:weixin-h5:wxAPP:ticket-wx_card',
      ],
      user_access_token: ['uni-id:weixin-web:wxAPP:o1:user-access-token'],
      session_key: ['uni-id:weixin-mp:wxAPP:o-2:session-key'],
      encrypt_key: ['uni-id:weixin-mp:wxAPP:o3:encrypt-key-7'],
      user_refresh_token: ['uni-id:qq-app:wxAPP:o4:user-refresh-token'],
    }
    for (const kind of CREDENTIAL_KINDS) {
      keys[kind].forEach((key, i) => {
        const fast = bridge.resolve(kind, key as never).key.storageKey
        const definition = BUILT_IN_KINDS[kind] as unknown as { storageKey: (key: object) => string }
        expect(fast).toBe(expected[kind]![i])
        expect(definition.storageKey({ ...key, appid: 'wxAPP' })).toBe(fast)
      })
    }
    return bridge.close()
  })

  it('their key checks refuse what the fast path refuses', () => {
    const checks = BUILT_IN_KINDS.encrypt_key.keyFields
    expect(checks.platform('weixin-mp')).toBeUndefined()
    expect(checks.platform('wechat')).toMatch(/must be one of/)
    expect(checks.openid('a:b')).toMatch(/':'/)
    expect(checks.version(0)).toMatch(/integer ≥ 1/)
    expect(BUILT_IN_KINDS.ticket.keyFields.ticketType(undefined)).toBeUndefined()
    expect(BUILT_IN_KINDS.ticket.keyFields.ticketType('wx_card')).toBeUndefined()
    expect(BUILT_IN_KINDS.ticket.keyFields.ticketType('card')).toMatch(/jsapi, wx_card/)
  })

  it('their refresh-ahead is the bridge’s default', () => {
    const defaults = resolveCoordination({}).refreshAhead
    for (const kind of CREDENTIAL_KINDS) expect(BUILT_IN_KINDS[kind].refreshAhead).toBe(defaults[kind])
  })

  it('kindDefinition finds a registered kind too, and nothing else', () => {
    const registered = registerKind({
      name: 'test_lookup_kind',
      keyFields: { id: keyField.segment() },
      storageKey: ({ id }: { id: string }) => `test:${id}`,
      credentialField: 'token',
    })
    expect(kindDefinition('test_lookup_kind')).toBe(registered)
    expect(kindDefinition('nothing')).toBeUndefined()
    expect(kindDefinition('toString')).toBeUndefined()
  })
})

describe('credentialString', () => {
  it('is undefined for a kind neither built in nor registered', async () => {
    const { credentialString } = await import('@open-bridge/core')
    expect(credentialString('no_such_kind', { token: 'x' })).toBeUndefined()
    expect(credentialString('access_token', { access_token: 'x' })).toBe('x')
  })
})
