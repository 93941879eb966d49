import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  isBridgeError,
  memoryStore,
  withAccessToken,
  withCredential,
  type CredentialBridge,
  type CredentialSource,
  type SourceContext,
} from '@open-bridge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'

const key = { appid: 'wx123', platform: 'weixin-mp' as const }

function tokenSource(latency = 100) {
  const calls: Pick<SourceContext, 'reason' | 'previous'>[] = []
  const source: CredentialSource = {
    async fetch(kind, _key, ctx) {
      calls.push({ reason: ctx.reason, previous: ctx.previous })
      const n = calls.length
      await sleep(latency)
      if (kind === 'ticket') return { value: { ticket: `ticket-${n}` } as never, expiresIn: 7200 }
      return { value: { access_token: `token-${n}` } as never, expiresIn: 7200 }
    },
  }
  return { source, calls }
}

let dir: string
let bridges: CredentialBridge[]
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ob-car-'))
  bridges = []
})
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()))
  rmSync(dir, { recursive: true, force: true })
})
function processBridge(source: CredentialSource): CredentialBridge {
  const bridge = createBridge({ stores: [memoryStore(), sqliteStore({ path: join(dir, 'shared.db') })], source })
  bridges.push(bridge)
  return bridge
}

describe('compare-and-refresh', () => {
  it('100 callers in 4 processes report the same dead token: one fetch, one new token for all', async () => {
    const { source, calls } = tokenSource(200)
    const processes = Array.from({ length: 4 }, () => processBridge(source))
    await processes[0]!.setAccessToken(key, { access_token: 'dead' }, 7200)
    for (const bridge of processes) expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'dead' }) // each has a memory copy

    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => processes[i % 4]!.refreshAccessToken(key, { ifValue: 'dead' })),
    )
    expect(new Set(results.map((r) => r?.access_token))).toEqual(new Set(['token-1']))
    expect(calls).toEqual([
      { reason: 'rejected', previous: { value: { access_token: 'dead' }, expiresAt: expect.any(Number) } },
    ])
    // Every process now reads the new token, also from its memory tier.
    for (const bridge of processes) expect(await bridge.getAccessToken(key)).toEqual({ access_token: 'token-1' })
  })

  it('a rejected token is replaced even when the new one expires sooner than the stored record said', async () => {
    const { source, calls } = tokenSource()
    const a = processBridge(source)
    await a.setAccessToken(key, { access_token: 'dead' }, 86_400) // stored by hand with a day's life; the source gives 7,200 s
    expect(await a.refreshAccessToken(key, { ifValue: 'dead' })).toEqual({ access_token: 'token-1' })
    expect(await a.getAccessToken(key)).toEqual({ access_token: 'token-1' })
    expect(calls).toHaveLength(1)
  })

  it('a stale ifValue (already replaced) returns the stored credential without a fetch', async () => {
    const { source, calls } = tokenSource()
    const a = processBridge(source)
    await a.setAccessToken(key, { access_token: 'current' }, 7200)
    expect(await a.refreshAccessToken(key, { ifValue: 'long-gone' })).toEqual({ access_token: 'current' })
    expect(calls).toHaveLength(0)
  })

  it('a late reporter in another process, whose memory still holds the dead token, gets the new one without a fetch', async () => {
    const { source, calls } = tokenSource(50)
    const a = processBridge(source)
    const b = processBridge(source)
    await a.setAccessToken(key, { access_token: 'dead' }, 7200)
    await b.getAccessToken(key) // b's memory: 'dead'
    expect(await a.refreshAccessToken(key, { ifValue: 'dead' })).toEqual({ access_token: 'token-1' })
    expect(await b.refreshAccessToken(key, { ifValue: 'dead' })).toEqual({ access_token: 'token-1' })
    expect(calls).toHaveLength(1)
  })

  it('without ifValue the stored credential is the one replaced; with nothing stored it is a miss', async () => {
    const { source, calls } = tokenSource(10)
    const bridge = processBridge(source)
    expect(await bridge.refreshAccessToken(key)).toEqual({ access_token: 'token-1' })
    expect(await bridge.refreshAccessToken(key)).toEqual({ access_token: 'token-2' })
    expect(
      calls.map((c) => [c.reason, (c.previous?.value as { access_token?: string } | undefined)?.access_token]),
    ).toEqual([
      ['miss', undefined],
      ['rejected', 'token-1'],
    ])
  })

  it('named forms compare their own field (ticket)', async () => {
    const { source, calls } = tokenSource(10)
    const bridge = processBridge(source)
    const h5 = { appid: 'wxh5', platform: 'weixin-h5' as const }
    await bridge.setTicket(h5, { ticket: 'old-ticket' }, 7200)
    expect(await bridge.refreshTicket(h5, { ifValue: 'other' })).toEqual({ ticket: 'old-ticket' })
    expect(await bridge.refreshTicket(h5, { ifValue: 'old-ticket' })).toEqual({ ticket: 'ticket-1' })
    expect(calls).toHaveLength(1)
  })

  it('bad input: an empty or non-string ifValue, and a bridge without source', async () => {
    const bridge = processBridge(tokenSource().source)
    const empty = await bridge.refreshAccessToken(key, { ifValue: '' }).catch((e: unknown) => e)
    expect(empty).toMatchObject({ code: 'E_INVALID_VALUE', field: 'options.ifValue' })
    const number = await bridge.refreshAccessToken(key, { ifValue: 42 as never }).catch((e: unknown) => e)
    expect(number).toMatchObject({ code: 'E_INVALID_VALUE', field: 'options.ifValue' })
    const noSource = createBridge({ stores: [memoryStore()] })
    bridges.push(noSource)
    const error = await noSource.refreshAccessToken(key, { ifValue: 'x' }).catch((e: unknown) => e)
    expect(isBridgeError(error, 'E_NO_SOURCE')).toBe(true)
  })
})

describe('withCredential / withAccessToken', () => {
  const rejected = (error: unknown) => (error as { errcode?: number }).errcode === 40001

  it('a rejection refreshes once (compare-and-refresh) and retries with the new token', async () => {
    const { source, calls } = tokenSource(10)
    const bridge = processBridge(source)
    await bridge.setAccessToken(key, { access_token: 'dead' }, 7200)
    const used: string[] = []
    const result = await withAccessToken(
      bridge,
      key,
      async (token) => {
        used.push(token)
        if (token === 'dead') throw Object.assign(new Error('invalid credential'), { errcode: 40001 })
        return `ok with ${token}`
      },
      rejected,
    )
    expect(result).toBe('ok with token-1')
    expect(used).toEqual(['dead', 'token-1'])
    expect(calls.map((c) => c.reason)).toEqual(['rejected'])
  })

  it('50 concurrent calls with the same dead token: one refresh', async () => {
    const { source, calls } = tokenSource(100)
    const bridge = processBridge(source)
    await bridge.setAccessToken(key, { access_token: 'dead' }, 7200)
    const call = async (token: string) => {
      if (token === 'dead') throw Object.assign(new Error('invalid credential'), { errcode: 40001 })
      return token
    }
    const results = await Promise.all(Array.from({ length: 50 }, () => withAccessToken(bridge, key, call, rejected)))
    expect(new Set(results)).toEqual(new Set(['token-1']))
    expect(calls).toHaveLength(1)
  })

  it('other errors are not retried; a second rejection reaches the caller; no credential → E_NO_CREDENTIAL', async () => {
    const { source } = tokenSource(10)
    const bridge = processBridge(source)
    await bridge.setAccessToken(key, { access_token: 'ok' }, 7200)
    let calls = 0
    const other = await withCredential(
      bridge,
      'access_token',
      key,
      async () => {
        calls++
        throw new Error('HTTP 500')
      },
      rejected,
    ).catch((e: unknown) => e)
    expect((other as Error).message).toBe('HTTP 500')
    expect(calls).toBe(1)

    const always = await withAccessToken(
      bridge,
      key,
      async () => {
        calls++
        throw Object.assign(new Error('invalid credential'), { errcode: 40001 })
      },
      rejected,
    ).catch((e: unknown) => e)
    expect((always as { errcode: number }).errcode).toBe(40001)
    expect(calls).toBe(3)

    const empty = createBridge({ stores: [memoryStore()] })
    bridges.push(empty)
    const none = await withAccessToken(empty, key, async () => 'never', rejected).catch((e: unknown) => e)
    expect(isBridgeError(none, 'E_NO_CREDENTIAL')).toBe(true)
  })
})
