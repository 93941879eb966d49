import {
  combineSources,
  createBridge,
  isBridgeError,
  keyField,
  memoryStore,
  registerKind,
  sourcesOf,
  type CredentialSource,
} from '@open-bridge/core'
import { describe, expect, it } from 'vitest'

const familyToken = registerKind<{ corp: string }, { token: string }>({
  name: 'test_combined_family_token',
  keyFields: { corp: keyField.segment() },
  storageKey: ({ corp }) => `test-combined:${corp}:token`,
  credentialField: 'token',
  life: 600,
})

/** A source that answers the kinds it is given and counts every call it receives. */
function source(name: string, answers: { builtIn?: boolean; kinds?: readonly string[]; fail?: boolean }) {
  const calls: string[] = []
  let closed = 0
  const made: CredentialSource = {
    async fetch(kind) {
      calls.push(`fetch:${kind}`)
      if (answers.fail === true) throw new Error(`${name} failed`)
      return answers.builtIn === true ? ({ value: { access_token: `${name}-AT` }, expiresIn: 600 } as never) : null
    },
    async fetchKind(kind, key) {
      calls.push(`fetchKind:${kind}`)
      if (answers.fail === true) throw new Error(`${name} failed`)
      return answers.kinds?.includes(kind) === true
        ? { value: { token: `${name}-${String((key as { corp?: unknown }).corp)}` }, expiresIn: 600 }
        : null
    },
    async close() {
      closed++
      if (answers.fail === true) throw new Error(`${name} close failed`)
    },
  }
  return { source: made, calls, closed: () => closed }
}

const appKey = { appid: 'wxcombined0000001', platform: 'weixin-mp' } as const
const apps = [{ platform: 'weixin-mp' as const, appid: appKey.appid, secret: 's' }]

describe('combineSources', () => {
  it('a registered kind goes to fetchKind of each source in order until one answers; built-in kinds to fetch', async () => {
    const wechat = source('wechat', { builtIn: true })
    const wecom = source('wecom', { kinds: ['test_combined_family_token'] })
    const bridge = createBridge({ stores: [memoryStore()], apps, source: combineSources(wechat.source, wecom.source) })
    try {
      expect(await bridge.credential(familyToken).get({ corp: 'c1' })).toEqual({ token: 'wecom-c1' })
      expect(wechat.calls).toEqual(['fetchKind:test_combined_family_token'])
      expect(wecom.calls).toEqual(['fetchKind:test_combined_family_token'])
      expect(await bridge.getAccessToken(appKey)).toEqual({ access_token: 'wechat-AT' })
      // The first source answered: the second is never asked.
      expect(wecom.calls).toEqual(['fetchKind:test_combined_family_token'])
    } finally {
      await bridge.close()
    }
    expect([wechat.closed(), wecom.closed()]).toEqual([1, 1])
  })

  it('null from every source is a miss; a source without fetchKind is skipped', async () => {
    const bare: CredentialSource = { fetch: async () => null }
    const none = source('none', {})
    const bridge = createBridge({ stores: [memoryStore()], apps, source: combineSources(bare, none.source) })
    try {
      expect(await bridge.credential(familyToken).get({ corp: 'c2' })).toBeNull()
      expect(await bridge.getAccessToken(appKey)).toBeNull()
      expect(none.calls).toEqual(['fetchKind:test_combined_family_token', 'fetch:access_token'])
    } finally {
      await bridge.close()
    }
  })

  it('a source that throws ends the search: the later sources are not asked', async () => {
    const failing = source('failing', { fail: true })
    const later = source('later', { builtIn: true, kinds: ['test_combined_family_token'] })
    const combined = combineSources(failing.source, later.source)
    const bridge = createBridge({ stores: [memoryStore()], apps, source: combined })
    try {
      await expect(bridge.credential(familyToken).get({ corp: 'c3' })).rejects.toThrow()
      expect(later.calls).toEqual([])
    } finally {
      await bridge.close().catch(() => undefined)
    }
  })

  it('close closes every source once, also when one fails, and rejects with the first failure', async () => {
    const failing = source('failing', { fail: true })
    const other = source('other', {})
    const combined = combineSources(failing.source, other.source)
    await expect(combined.close!()).rejects.toThrow('failing close failed')
    await expect(combined.close!()).rejects.toThrow('failing close failed')
    expect([failing.closed(), other.closed()]).toEqual([1, 1])
  })

  it('bad arguments: E_INVALID_CONFIG naming the argument', () => {
    for (const [args, field] of [
      [[], 'sources'],
      [[null], 'sources[0]'],
      [[{ fetch: async () => null }, { fetch: 'no' }], 'sources[1]'],
      [[{ fetch: async () => null, fetchKind: 1 }], 'sources[0]'],
      [[{ fetch: async () => null, close: {} }], 'sources[0]'],
    ] as const) {
      try {
        combineSources(...(args as unknown as CredentialSource[]))
        expect.unreachable()
      } catch (error) {
        expect(isBridgeError(error)).toBe(true)
        expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', field })
      }
    }
  })

  it('sourcesOf: the parts of a combined source (nested ones flattened), a plain source alone, nothing for a non-object', () => {
    const a = { fetch: async () => null }
    const b = { fetch: async () => null }
    const c = { fetch: async () => null }
    expect(sourcesOf(combineSources(a, combineSources(b, c)))).toEqual([a, b, c])
    expect(sourcesOf(combineSources(a, b))[1]).toBe(b)
    expect(sourcesOf(a)).toEqual([a])
    expect(sourcesOf(undefined)).toEqual([])
    // The parts are not enumerable: a combined source logs and copies as before.
    expect(Object.keys(combineSources(a, b)).sort()).toEqual(['close', 'fetch', 'fetchKind'])
  })
})
