import { createBridge, memoryStore, type BridgeEvents, type CredentialBridge } from '@open-bridge/core'
import { afterEach, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }
const storageKey = 'uni-id:weixin-mp:wx123:access-token'

/** A platform that fails every call with `error()`, counting calls. */
function failingSource(error: () => Error) {
  const state = { calls: 0 }
  return {
    state,
    source: {
      async fetch() {
        state.calls++
        await sleep(20)
        throw error()
      },
    },
  }
}

let bridge: CredentialBridge | undefined
afterEach(async () => {
  await bridge?.close()
  bridge = undefined
})

describe('failure memory', () => {
  it('a second call inside the window fails at once with the same error, without calling the platform', async () => {
    const { source, state } = failingSource(() => Object.assign(new Error('system busy'), { category: 'transient' }))
    bridge = createBridge({ stores: [memoryStore()], source, failureBackoff: { min: 500, max: 5_000 } })
    const backoffs: BridgeEvents['backoff'][] = []
    bridge.on('backoff', (e) => backoffs.push(e))
    const first = await bridge.getAccessToken(key).catch((e: unknown) => e)
    const second = await bridge.getAccessToken(key).catch((e: unknown) => e)
    expect(second).toBe(first) // the very same error object, not a new attempt that failed alike
    expect(state.calls).toBe(1)
    expect(backoffs).toEqual([
      { kind: 'access_token', storageKey, retryInMs: 500, cause: 'error', category: 'transient' },
    ])

    // After the window, one new attempt; the window doubles.
    await sleep(550)
    await bridge.getAccessToken(key).catch(() => undefined)
    await bridge.getAccessToken(key).catch(() => undefined)
    expect(state.calls).toBe(2)
    expect(backoffs.map((b) => b.retryInMs)).toEqual([500, 1_000])
  })

  it('80 looping callers for 1 s against a wrong secret: one platform call (configuration window)', async () => {
    const secretError = () =>
      Object.assign(new Error('invalid appsecret (errcode 40125)'), { category: 'config', errcode: 40125 })
    const { source, state } = failingSource(secretError)
    bridge = createBridge({
      stores: [memoryStore()],
      source,
      failureBackoff: { min: 100, max: 200, configuration: 5_000 },
    })
    const until = Date.now() + 1_000
    let rejections = 0
    await Promise.all(
      Array.from({ length: 80 }, async () => {
        while (Date.now() < until) {
          await bridge!.getAccessToken(key).catch(() => rejections++)
          await sleep(10)
        }
      }),
    )
    expect(state.calls).toBe(1)
    expect(rejections).toBeGreaterThan(80 * 10)
  })

  it('configuration, quota and ip-confirmation errors are remembered longer than transient ones', async () => {
    const category: Record<string, string> = {
      'wx-config': 'configuration',
      'wx-quota': 'quota',
      'wx-ip': 'ip-confirm',
      'wx-busy': 'transient',
    }
    const calls: string[] = []
    bridge = createBridge({
      stores: [memoryStore()],
      failureBackoff: { min: 100, max: 100, configuration: 10_000 },
      source: {
        async fetch(_kind, resolved) {
          calls.push(resolved.appid)
          throw Object.assign(new Error('failed'), { category: category[resolved.appid] })
        },
      },
    })
    const windows: Record<string, number> = {}
    bridge.on('backoff', (e) => (windows[e.storageKey.split(':')[2]!] = e.retryInMs))
    for (const appid of Object.keys(category))
      await bridge.getAccessToken({ appid, platform: 'weixin-mp' }).catch(() => undefined)
    expect(windows).toEqual({ 'wx-config': 10_000, 'wx-quota': 10_000, 'wx-ip': 10_000, 'wx-busy': 100 })
    await sleep(200)
    for (const appid of Object.keys(category))
      await bridge.getAccessToken({ appid, platform: 'weixin-mp' }).catch(() => undefined)
    expect(calls.sort()).toEqual(['wx-busy', 'wx-busy', 'wx-config', 'wx-ip', 'wx-quota'])
  })

  it('a caller that brings its own fallback is not blocked, and its success ends the window for everyone', async () => {
    const { source, state } = failingSource(() => new Error('platform down'))
    bridge = createBridge({ stores: [memoryStore()], source, failureBackoff: { min: 10_000 } })
    await expect(bridge.getAccessToken(key)).rejects.toThrow('platform down')
    await expect(bridge.getAccessToken(key)).rejects.toThrow('platform down')
    expect(state.calls).toBe(1)
    expect(await bridge.getAccessToken(key, async () => ({ value: { access_token: 'mine' }, duration: 60 }))).toEqual({
      access_token: 'mine',
    })
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'mine' })
  })

  it('a failing fallback is not remembered against the source', async () => {
    let sourceCalls = 0
    bridge = createBridge({
      stores: [memoryStore()],
      source: {
        async fetch() {
          sourceCalls++
          return { value: { access_token: 'from source' } as never, expiresIn: 60 }
        },
      },
    })
    await expect(
      bridge.getAccessToken(key, async () => {
        throw new Error('my fallback broke')
      }),
    ).rejects.toThrow('my fallback broke')
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'from source' })
    expect(sourceCalls).toBe(1)
  })

  it('a compare-and-refresh inside the window gets the remembered error too, without a platform call', async () => {
    const { source, state } = failingSource(() => new Error('platform down'))
    bridge = createBridge({ stores: [memoryStore()], source, failureBackoff: { min: 10_000 } })
    await bridge.setAccessToken(key, { access_token: 'dead' }, 60)
    const first = await bridge.refreshAccessToken(key, { ifValue: 'dead' }).catch((e: unknown) => e)
    const second = await bridge.refreshAccessToken(key, { ifValue: 'dead' }).catch((e: unknown) => e)
    expect((first as Error).message).toBe('platform down')
    expect(second).toBe(first)
    expect(state.calls).toBe(1)
  })

  it('set and remove end the window', async () => {
    const { source, state } = failingSource(() => new Error('platform down'))
    bridge = createBridge({ stores: [memoryStore()], source, failureBackoff: { min: 10_000 } })
    await bridge.getAccessToken(key).catch(() => undefined)
    await bridge.setAccessToken(key, { access_token: 'manual' }, 60)
    expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'manual' })
    await bridge.removeAccessToken(key)
    await bridge.getAccessToken(key).catch(() => undefined)
    expect(state.calls).toBe(2)
  })
})
