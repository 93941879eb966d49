import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createBridge, memoryStore } from '@open-bridge/core'
import { streamHugeJson } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { runMeasured } from '../../../test-support/peak-memory.js'
import { isRemoteError, remoteBridge } from '../src/index.js'

const MiB = 1_048_576
const APPID = 'wxhugeanswer000001'
const KEY = { appid: APPID, platform: 'weixin-mp' as const }
const STORAGE_KEY = `uni-id:weixin-mp:${APPID}:access-token`
const CLIENT = fileURLToPath(new URL('./fixtures/huge-answer-client.ts', import.meta.url))

/**
 * A real HTTP centre on loopback that answers every request with a JSON object of `?bytes=` bytes (the path
 * prefix `/<bytes>/<length|chunked>`), streamed with backpressure; `sent` counts what it managed to write.
 */
let centre: Server
let base = ''
let sent = 0
beforeAll(async () => {
  centre = createServer((req, res) => {
    const [, bytes, mode] = (req.url ?? '').split('/')
    req.resume()
    void streamHugeJson(res, 'access_token', Number(bytes), mode === 'length').then((n) => {
      sent += n
    })
  })
  await new Promise<void>((resolve) => centre.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(centre.address() as AddressInfo).port}`
})
afterAll(async () => {
  centre.closeAllConnections()
  await new Promise((resolve) => centre.close(resolve))
})

async function failure(work: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await work
  } catch (error) {
    return error as Record<string, unknown>
  }
  throw new Error('expected a failure')
}

describe("the centre's answers are read up to maxBodyBytes (default 1 MiB)", () => {
  for (const mode of ['chunked', 'length'] as const) {
    it(`a ${mode} answer over the bound is E_REMOTE_TOO_LARGE: cut early, nothing cached`, async () => {
      const store = memoryStore()
      const bridge = createBridge({ stores: [store], source: remoteBridge({ url: `${base}/${16 * MiB}/${mode}` }) })
      try {
        sent = 0
        const error = await failure(bridge.getAccessToken(KEY))
        expect(isRemoteError(error, 'E_REMOTE_TOO_LARGE')).toBe(true)
        expect(error.field).toBe('maxBodyBytes')
        expect(error.route).toBe('/getAccessToken')
        expect(String(error.message)).toContain('maxBodyBytes (1048576 bytes)')
        expect(await store.get(STORAGE_KEY)).toBeFalsy()
        await vi.waitFor(() => expect(sent).toBeGreaterThan(0))
        expect(sent).toBeLessThan(8 * MiB)
      } finally {
        await bridge.close()
      }
    })
  }

  it('maxBodyBytes is configurable; an answer of exactly the bound passes, one byte more does not', async () => {
    const at = (bytes: number) =>
      createBridge({
        stores: [memoryStore()],
        source: remoteBridge({ url: `${base}/${bytes}/chunked`, maxBodyBytes: 2 * MiB }),
      })
    const exact = at(2 * MiB)
    const over = at(2 * MiB + 1)
    try {
      expect((await exact.getAccessToken(KEY))!.access_token.length).toBeGreaterThan(2 * MiB - 100)
      expect(isRemoteError(await failure(over.getAccessToken(KEY)), 'E_REMOTE_TOO_LARGE')).toBe(true)
    } finally {
      await Promise.all([exact.close(), over.close()])
    }
  })

  it('maxBodyBytes must be an integer ≥ 1 (E_INVALID_ARGUMENT naming it)', () => {
    for (const maxBodyBytes of [0, -5, 2.5, Number.POSITIVE_INFINITY, '1' as never]) {
      try {
        remoteBridge({ url: base, maxBodyBytes })
        expect.unreachable(String(maxBodyBytes))
      } catch (error) {
        expect(isRemoteError(error, 'E_INVALID_ARGUMENT')).toBe(true)
        expect((error as { field: string }).field).toBe('maxBodyBytes')
      }
    }
  })

  for (const mode of ['chunked', 'length'] as const) {
    it(`a 200 MB ${mode} answer fails fast in a business process whose peak memory stays far below 200 MB`, async () => {
      sent = 0
      const measured = await runMeasured<{ ok: boolean; code?: string; field?: string; ms: number; cached: boolean }>(
        CLIENT,
        [`${base}/200000000/${mode}`, APPID],
      )
      console.info(
        `200 MB ${mode} centre answer: ${JSON.stringify({ ...measured.result, message: undefined })}, rss before ${measured.rssBeforeMB} MB, peak ${measured.maxRssMB} MB`,
      )
      expect(measured.result).toMatchObject({
        ok: false,
        code: 'E_REMOTE_TOO_LARGE',
        field: 'maxBodyBytes',
        cached: false,
      })
      // Before: the whole answer read as text and cached as a token — a peak over 1 GB.
      expect(measured.maxRssMB - measured.rssBeforeMB).toBeLessThan(64)
      expect(measured.maxRssMB).toBeLessThan(200)
      await vi.waitFor(() => expect(sent).toBeGreaterThan(0))
      expect(sent).toBeLessThan(20_000_000)
    }, 180_000)
  }
})
