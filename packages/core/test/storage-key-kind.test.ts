import {
  isBridgeError,
  isNotFetchable,
  keyField,
  kindNameOfStorageKey,
  registerKind,
  registeredKindOfStorageKey,
  type CredentialKindDefinition,
} from '@open-bridge/core'
import { describe, expect, it } from 'vitest'

/** A fetchable kind with its inverse layout: `skk-family:<corp>:<agent>:token`. */
const token = registerKind<{ corp: string; agent: number }, { token: string }>({
  name: 'skk_token',
  keyFields: { corp: keyField.segment(), agent: keyField.integer(1) },
  storageKey: ({ corp, agent }) => `skk-family:${corp}:${agent}:token`,
  parseStorageKey: (storageKey) => {
    const parts = storageKey.split(':')
    if (parts.length !== 4 || parts[0] !== 'skk-family' || parts[3] !== 'token') return undefined
    return { corp: parts[1]!, agent: Number(parts[2]) }
  },
  credentialField: 'token',
})

/** A durable kind whose parser is careless: it accepts anything under its prefix. */
registerKind<{ corp: string }, { code: string }>({
  name: 'skk_permanent',
  keyFields: { corp: keyField.segment() },
  storageKey: ({ corp }) => `skk-family:${corp}:permanent`,
  parseStorageKey: (storageKey) =>
    storageKey.startsWith('skk-family:') ? { corp: storageKey.split(':')[1] ?? '' } : undefined,
  credentialField: 'code',
  durable: true,
})

/** A kind whose parser throws. */
registerKind<{ corp: string }, { code: string }>({
  name: 'skk_throws',
  keyFields: { corp: keyField.segment() },
  storageKey: ({ corp }) => `skk-throws:${corp}`,
  parseStorageKey: () => {
    throw new Error('boom')
  },
  credentialField: 'code',
})

/** A kind registered without an inverse: walks of a store leave it out. */
registerKind<{ corp: string }, { code: string }>({
  name: 'skk_opaque',
  keyFields: { corp: keyField.segment() },
  storageKey: ({ corp }) => `skk-opaque:${corp}`,
  credentialField: 'code',
})

describe('the kind of a storage key', () => {
  it('names built-in kinds from their layout', () => {
    expect(kindNameOfStorageKey('uni-id:weixin-mp:wx1:access-token')).toBe('access_token')
    expect(kindNameOfStorageKey('uni-id:weixin-mp:wx1:o1:session-key')).toBe('session_key')
  })

  it('names a registered kind through its parseStorageKey', () => {
    expect(kindNameOfStorageKey('skk-family:ww1:1000002:token')).toBe('skk_token')
    expect(kindNameOfStorageKey('skk-family:ww1:permanent')).toBe('skk_permanent')
    expect(registeredKindOfStorageKey('skk-family:ww1:1000002:token')).toBe(token)
  })

  it('trusts a parse only when the key it gives builds the same storage key back', () => {
    // The careless parser says skk_permanent for these; the layout says otherwise, and the key fields refuse.
    expect(kindNameOfStorageKey('skk-family:ww1:extra:permanent')).toBeUndefined()
    expect(kindNameOfStorageKey('skk-family:ww1:0:token')).toBeUndefined() // agent must be ≥ 1
    expect(kindNameOfStorageKey('skk-family::permanent')).toBeUndefined() // empty segment
  })

  it('is undefined for a parser that throws, a kind without a parser, and other layouts', () => {
    expect(kindNameOfStorageKey('skk-throws:ww1')).toBeUndefined()
    expect(kindNameOfStorageKey('skk-opaque:ww1')).toBeUndefined()
    expect(kindNameOfStorageKey('ob-lock:uni-id:weixin-mp:wx1:access-token')).toBeUndefined()
  })

  it('says a registered kind may be re-fetched unless it is durable or pushed; an unknown layout never', () => {
    expect(isNotFetchable('skk-family:ww1:1000002:token')).toBe(false)
    expect(isNotFetchable('skk-family:ww1:permanent')).toBe(true)
    expect(isNotFetchable('skk-opaque:ww1')).toBe(true)
    expect(isNotFetchable('uni-id:weixin-mp:wx1:access-token')).toBe(false)
    expect(isNotFetchable('uni-id:weixin-mp:wx1:o1:session-key')).toBe(true)
  })

  it('refuses a parseStorageKey that is not a function, naming the property', () => {
    const bad = {
      name: 'skk_bad',
      keyFields: { corp: keyField.segment() },
      storageKey: ({ corp }: { corp: string }) => `skk-bad:${corp}`,
      parseStorageKey: 'skk-bad:*',
      credentialField: 'code',
    } as unknown as CredentialKindDefinition<{ corp: string }, { code: string }>
    let error: unknown
    try {
      registerKind(bad)
    } catch (e) {
      error = e
    }
    expect(isBridgeError(error, 'E_INVALID_KIND')).toBe(true)
    expect((error as { field?: string }).field).toBe('kind.parseStorageKey')
  })
})
