/**
 * `ctx.ifValue`: a source asked for a rejected credential learns which one the caller reported, also when no tier
 * held it (a business service with an empty memory tier forwarding the report to its centre).
 */
import { describe, expect, it } from 'vitest'
import { createBridge, keyField, keyLayout, memoryStore, registerKind, type SourceContext } from '../src/index.js'

const kind = registerKind<{ tenant: string }, { token: string }>({
  name: 'test_if_value_token',
  keyFields: { tenant: keyField.segment() },
  ...keyLayout('test-if-value:{tenant}:token'),
  credentialField: 'token',
})

function world() {
  const seen: SourceContext[] = []
  const bridge = createBridge({
    stores: [memoryStore()],
    source: {
      async fetch(_kind, _key, ctx) {
        seen.push(ctx)
        return { value: { access_token: `AT_${seen.length}` } as never, expiresIn: 60 }
      },
      async fetchKind(_kind, _key, ctx) {
        seen.push(ctx)
        return { value: { token: `T_${seen.length}` }, expiresIn: 60 }
      },
    },
  })
  return { bridge, seen }
}

describe('ctx.ifValue', () => {
  it('a registered kind refreshed with ifValue on an empty tier: rejected, no previous, ifValue given', async () => {
    const { bridge, seen } = world()
    expect(await bridge.credential(kind).refresh({ tenant: 'a' }, { ifValue: 'dead' })).toEqual({ token: 'T_1' })
    expect(seen[0]).toMatchObject({ reason: 'rejected', previous: undefined, ifValue: 'dead' })
    // A miss carries none.
    await bridge.credential(kind).get({ tenant: 'b' })
    expect(seen[1]!.reason).toBe('miss')
    expect(seen[1]!.ifValue).toBeUndefined()
    await bridge.close()
  })

  it('a built-in kind: the same', async () => {
    const { bridge, seen } = world()
    const key = { appid: 'wxifvalue00000001', platform: 'weixin-mp' as const }
    await bridge.refreshAccessToken(key, { ifValue: 'AT_dead' })
    expect(seen[0]).toMatchObject({ reason: 'rejected', previous: undefined, ifValue: 'AT_dead' })
    await bridge.close()
  })
})
