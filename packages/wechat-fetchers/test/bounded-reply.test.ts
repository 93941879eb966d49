import { fileURLToPath } from 'node:url'
import { createBridge, memoryStore } from '@open-bridge/core'
import { isWechatError, wechatSource } from '@open-bridge/wechat-fetchers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { runMeasured } from '../../../test-support/peak-memory.js'
import { MP, mpKey, startWorld, type World } from './support.js'

const MiB = 1_048_576
const STORAGE_KEY = `uni-id:weixin-mp:${MP.appid}:access-token`
const CLIENT = fileURLToPath(new URL('./fixtures/huge-reply-client.ts', import.meta.url))

let world: World | undefined
afterEach(async () => {
  await world?.close()
  world = undefined
})

async function failure(work: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await work
  } catch (error) {
    return error as Record<string, unknown>
  }
  throw new Error('expected a failure')
}

/** A world whose bridge keeps its memory tier at hand, to see what was cached. */
async function worldWithStore(maxReplyBytes?: number) {
  const w = await startWorld()
  const store = memoryStore()
  const bridge = createBridge({
    stores: [store],
    apps: [{ platform: 'weixin-mp', ...MP }],
    source: wechatSource({
      baseUrl: w.fake.url,
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
      ...(maxReplyBytes !== undefined ? { maxReplyBytes } : {}),
    }),
  })
  world = {
    ...w,
    async close() {
      await bridge.close()
      await w.close()
    },
  }
  return { fake: w.fake, bridge, store }
}

describe('platform replies are read up to maxReplyBytes (default 1 MiB)', () => {
  for (const declareLength of [false, true]) {
    it(`a ${declareLength ? 'Content-Length' : 'chunked'} reply over the bound is E_REPLY_TOO_LARGE: cut early, not retried, not cached`, async () => {
      const { fake, bridge, store } = await worldWithStore()
      fake.inject('stable_token', { bodyBytes: 16 * MiB, declareLength })
      const error = await failure(bridge.getAccessToken(mpKey))
      expect(isWechatError(error, 'E_REPLY_TOO_LARGE')).toBe(true)
      expect(error.field).toBe('maxReplyBytes')
      expect(String(error.message)).toContain('maxReplyBytes (1048576 bytes)')
      expect(String(error.message)).not.toContain(MP.secret)
      // Not a transient failure: one call only.
      expect(fake.calls('stable_token')).toBe(1)
      expect(await store.get(STORAGE_KEY)).toBeFalsy()
      // The socket was closed as soon as the bound was passed: the fake could not write much more than it.
      await vi.waitFor(() => expect(fake.hugeBytesSent()).toBeGreaterThan(0))
      expect(fake.hugeBytesSent()).toBeLessThan(8 * MiB)
    })
  }

  it('maxReplyBytes is configurable: a 2 MiB reply passes under a 4 MiB bound', async () => {
    const { fake, bridge } = await worldWithStore(4 * MiB)
    fake.inject('stable_token', { bodyBytes: 2 * MiB })
    const token = await bridge.getAccessToken(mpKey)
    expect(token!.access_token.length).toBeGreaterThan(2 * MiB - 100)
  })

  it('a reply of exactly maxReplyBytes passes; one byte more does not', async () => {
    const { fake, bridge } = await worldWithStore(64 * 1024)
    fake.inject('stable_token', { bodyBytes: 64 * 1024, declareLength: false })
    expect((await bridge.getAccessToken(mpKey))!.access_token.length).toBeGreaterThan(60_000)
    fake.inject('stable_token', { bodyBytes: 64 * 1024 + 1, declareLength: false })
    const error = await failure(bridge.refreshAccessToken(mpKey))
    expect(isWechatError(error, 'E_REPLY_TOO_LARGE')).toBe(true)
  })

  it('maxReplyBytes must be an integer ≥ 1 (E_INVALID_ARGUMENT naming it)', () => {
    for (const maxReplyBytes of [0, -1, 1.5, Number.NaN, '1024' as never]) {
      try {
        wechatSource({ maxReplyBytes })
        expect.unreachable(String(maxReplyBytes))
      } catch (error) {
        expect(isWechatError(error, 'E_INVALID_ARGUMENT')).toBe(true)
        expect((error as { field: string }).field).toBe('maxReplyBytes')
      }
    }
  })

  for (const declareLength of [false, true]) {
    it(`a 200 MB ${declareLength ? 'Content-Length' : 'chunked'} reply fails fast in a client process whose peak memory stays far below 200 MB`, async () => {
      world = await startWorld()
      world.fake.inject('stable_token', { bodyBytes: 200_000_000, declareLength })
      const measured = await runMeasured<{ ok: boolean; code?: string; field?: string; ms: number; cached: boolean }>(
        CLIENT,
        [world.fake.url, MP.appid, MP.secret],
      )
      console.info(
        `200 MB ${declareLength ? 'Content-Length' : 'chunked'} platform reply: ${JSON.stringify({ ...measured.result, message: undefined })}, rss before ${measured.rssBeforeMB} MB, peak ${measured.maxRssMB} MB`,
      )
      expect(measured.result).toMatchObject({
        ok: false,
        code: 'E_REPLY_TOO_LARGE',
        field: 'maxReplyBytes',
        cached: false,
      })
      // Old behaviour: the whole 200 MB read as text (and parsed): a peak well over 400 MB.
      expect(measured.maxRssMB - measured.rssBeforeMB).toBeLessThan(64)
      expect(measured.maxRssMB).toBeLessThan(200)
      await vi.waitFor(() => expect(world!.fake.hugeBytesSent()).toBeGreaterThan(0))
      expect(world.fake.hugeBytesSent()).toBeLessThan(20_000_000)
    }, 180_000)
  }
})
