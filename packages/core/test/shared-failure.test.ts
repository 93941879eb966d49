/**
 * Deployment-wide failure memory (`failureBackoff.shared`): several bridges — processes of one deployment, each
 * with its own memory tier — over one SQLite file (a tier with a lock). A failed source call is recorded in the
 * lock tier for its backoff window; the other bridges answer with it instead of calling the source.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  isBridgeError,
  isSharedFailureError,
  memoryStore,
  SharedFailureError,
  type BridgeEvents,
  type CredentialBridge,
  type CredentialSource,
  type CoordinationOptions,
} from '@open-bridge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }
const storageKey = 'uni-id:weixin-mp:wx123:access-token'
const SECRET = 'app-secret-5b9e1d3c7a'

/** A platform that fails every call with `error()` after `latency` ms, counting calls. */
function failingSource(error: () => unknown, latency = 30): CredentialSource & { calls: number } {
  const source = {
    calls: 0,
    async fetch() {
      source.calls++
      await sleep(latency)
      throw error()
    },
  }
  return source as never
}

const wrongSecret = () =>
  Object.assign(
    new Error(
      `GET https://api.example/cgi-bin/token?appid=wx123&secret=${SECRET} failed: errcode 40125 invalid appsecret`,
    ),
    { code: 'E_PLATFORM_API', errcode: 40125, category: 'config' },
  )

let dir: string
let bridges: CredentialBridge[]
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ob-shared-failure-'))
  bridges = []
})
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()))
  rmSync(dir, { recursive: true, force: true })
})

/** One process of the deployment: its own memory tier over the shared SQLite file. */
function processBridge(source: CredentialSource, options: CoordinationOptions = {}): CredentialBridge {
  const bridge = createBridge({
    stores: [memoryStore(), sqliteStore({ path: join(dir, 'shared.db') })],
    source,
    ...options,
  })
  bridges.push(bridge)
  return bridge
}

function renderings(error: unknown): string {
  const e = error as { message?: unknown; stack?: unknown }
  return [
    String(e.message),
    String(e.stack),
    JSON.stringify(error),
    inspect(error, { showHidden: true, depth: 8 }),
  ].join('\n')
}

describe('deployment-wide failure memory', () => {
  it('one source call for three processes; the others get a SharedFailureError with the code, masked', async () => {
    const source = failingSource(wrongSecret)
    const [a, b, c] = [processBridge(source), processBridge(source), processBridge(source)]
    const first = await a!.getAccessToken(key).catch((e: unknown) => e)
    const backoffs: BridgeEvents['backoff'][] = []
    b!.on('backoff', (e) => backoffs.push(e))
    const second = await b!.getAccessToken(key).catch((e: unknown) => e)
    const third = await c!.getAccessToken(key).catch((e: unknown) => e)
    expect(source.calls).toBe(1)
    expect((first as { code?: unknown }).code).toBe('E_PLATFORM_API')
    for (const error of [second, third]) {
      expect(error).toBeInstanceOf(SharedFailureError)
      expect(isSharedFailureError(error)).toBe(true)
      expect(isBridgeError(error, 'E_PLATFORM_API')).toBe(true)
      const shared = error as SharedFailureError
      expect(shared.errcode).toBe(40125)
      expect(shared.category).toBe('config')
      expect(shared.message).toContain('secret=***')
      expect(shared.message).toContain('errcode 40125')
      expect(shared.retryAt).toBeGreaterThan(Date.now() + 50_000)
      expect(renderings(error)).not.toContain(SECRET)
      expect(JSON.parse(JSON.stringify(error))).toMatchObject({
        code: 'E_PLATFORM_API',
        errcode: 40125,
        category: 'config',
      })
    }
    // Remembered in b's own memory too: the next call answers without the lock tier, the same error object.
    expect(await b!.getAccessToken(key).catch((e: unknown) => e)).toBe(second)
    expect(backoffs).toEqual([
      { kind: 'access_token', storageKey, retryInMs: expect.any(Number), cause: 'error', category: 'config' },
    ])
    expect(backoffs[0]!.retryInMs).toBeGreaterThan(50_000)
  })

  it('callers waiting on the holder get the error too, and the platform still sees one call', async () => {
    const source = failingSource(wrongSecret, 300)
    const fleet = [processBridge(source), processBridge(source), processBridge(source)]
    const answers = await Promise.all(
      fleet.flatMap((bridge) => Array.from({ length: 5 }, () => bridge.getAccessToken(key).catch((e: unknown) => e))),
    )
    expect(source.calls).toBe(1)
    for (const answer of answers) expect((answer as { code?: unknown }).code).toBe('E_PLATFORM_API')
  })

  it('remove() on any process ends the deployment’s window: the next miss elsewhere calls the source', async () => {
    const source = failingSource(wrongSecret)
    const [a, b, c] = [processBridge(source), processBridge(source), processBridge(source)]
    await a!.getAccessToken(key).catch(() => undefined)
    await b!.getAccessToken(key).catch(() => undefined)
    expect(source.calls).toBe(1)
    await b!.removeAccessToken(key)
    await c!.getAccessToken(key).catch(() => undefined)
    expect(source.calls).toBe(2)
  })

  it('failureBackoff.shared: false → one call per process', async () => {
    const source = failingSource(wrongSecret)
    const fleet = [0, 1, 2].map(() => processBridge(source, { failureBackoff: { shared: false } }))
    for (const bridge of fleet) await bridge.getAccessToken(key).catch(() => undefined)
    expect(source.calls).toBe(3)
  })

  it('the window is the deployment’s: after it, one new call, whose backoff continues the streak', async () => {
    const busy = () =>
      Object.assign(new Error('system busy'), { code: 'E_PLATFORM_API', errcode: -1, category: 'transient' })
    const source = failingSource(busy, 5)
    const options = { failureBackoff: { min: 300, max: 10_000 } }
    const a = processBridge(source, options)
    const b = processBridge(source, options)
    const backoffs: number[] = []
    b.on('backoff', (e) => backoffs.push(e.retryInMs))
    await a.getAccessToken(key).catch(() => undefined)
    await b.getAccessToken(key).catch(() => undefined)
    expect(source.calls).toBe(1)
    await sleep(400)
    await b.getAccessToken(key).catch(() => undefined)
    expect(source.calls).toBe(2)
    // b's own failure is the second in a row for the deployment: the window doubled.
    expect(backoffs.at(-1)).toBe(600)
  })

  it('an error without a code is shared as E_FETCH_FAILED; a fallback’s failure is not shared', async () => {
    const source = failingSource(() => new Error(`refused for secret ${SECRET}?secret=${SECRET}`))
    const a = processBridge(source)
    const b = processBridge(source)
    await a.getAccessToken(key).catch(() => undefined)
    const shared = await b.getAccessToken(key).catch((e: unknown) => e)
    expect(isBridgeError(shared, 'E_FETCH_FAILED')).toBe(true)
    expect((shared as Error).message).toContain('secret=***')

    const other = { appid: 'wx456', platform: 'weixin-mp' as const }
    let fallbackCalls = 0
    const fallback = async () => {
      fallbackCalls++
      throw new Error('fallback down')
    }
    await a.getAccessToken(other, fallback).catch(() => undefined)
    await b.getAccessToken(other, fallback).catch(() => undefined)
    expect(fallbackCalls).toBe(2)
  })

  it('a malformed failure record is ignored: the source is called', async () => {
    const shared = sqliteStore({ path: join(dir, 'shared.db') })
    await shared.set(`${storageKey}:failure`, { value: { code: 42 } as never, expiresAt: Date.now() + 60_000 })
    await shared.close()
    const source = failingSource(wrongSecret)
    await processBridge(source)
      .getAccessToken(key)
      .catch(() => undefined)
    expect(source.calls).toBe(1)
  })

  it('failureBackoff.shared must be a boolean', () => {
    expect(() => createBridge({ stores: [memoryStore()], failureBackoff: { shared: 'yes' as never } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'failureBackoff.shared' }),
    )
  })
})
