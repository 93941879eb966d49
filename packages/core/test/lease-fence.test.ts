/**
 * The fence of a write under the refresh lock, in one process: two bridges over one SQLite file stand for two
 * processes. A's lease extensions fail while its fetch hangs (as during a pause), so its lease lapses and B
 * refreshes; then A's fetch answers. A's write must be refused (`lease-lost`) and A's callers served B's token —
 * through `compareAndSet`, and through the lease check alone on a lock tier without it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  DEFAULT_LOCK_TTL,
  memoryStore,
  type BridgeEvents,
  type CredentialBridge,
  type CredentialSource,
} from '@open-bridge/core'
import { chaosStore } from '@open-bridge/core/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const key = { appid: 'wxfence', platform: 'weixin-mp' as const }
const storageKey = 'uni-id:weixin-mp:wxfence:access-token'

/** A source whose answer waits until `answer()` is called. */
function heldSource(token: string): CredentialSource & { answer(): void; called: Promise<void> } {
  let answer!: () => void
  let called!: () => void
  const answered = new Promise<void>((resolve) => (answer = resolve))
  const calledPromise = new Promise<void>((resolve) => (called = resolve))
  return {
    answer,
    called: calledPromise,
    async fetch() {
      called()
      await answered
      return { value: { access_token: token } as never, expiresIn: 7200 }
    },
  } as never
}

const instantSource = (token: string): CredentialSource =>
  ({ fetch: async () => ({ value: { access_token: token }, expiresIn: 7200 }) }) as never

let dir: string
let bridges: CredentialBridge[]
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ob-fence-'))
  bridges = []
})
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()))
  rmSync(dir, { recursive: true, force: true })
})

describe('fenced writes under the refresh lock', () => {
  it('the default lease is 3 s: a crashed holder delays the others by a few seconds, not ten', () => {
    expect(DEFAULT_LOCK_TTL).toBe(3_000)
  })

  for (const variant of ['compareAndSet', 'lease check only'] as const) {
    it(`${variant}: a holder whose lease lapsed writes nothing and serves the newer stored token`, async () => {
      const path = join(dir, 'shared.db')
      const wrapped = chaosStore(sqliteStore({ path }), {
        hide: variant === 'compareAndSet' ? [] : ['compareAndSet'],
      })
      expect(typeof wrapped.store.compareAndSet === 'function').toBe(variant === 'compareAndSet')
      const slow = heldSource('token-of-a')
      // No breaker: the injected extension failures must not make the lock tier look down (it would then protect nothing).
      const a = createBridge({
        stores: [memoryStore(), wrapped.store],
        source: slow,
        lock: { ttl: 300 },
        breaker: false,
      })
      const b = createBridge({
        stores: [memoryStore(), sqliteStore({ path })],
        source: instantSource('token-of-b'),
        lock: { ttl: 300 },
      })
      bridges.push(a, b)
      const lost: BridgeEvents['lease-lost'][] = []
      a.on('lease-lost', (e) => void lost.push(e))

      // A's extensions fail as they would while A is paused: its lease lapses during the fetch.
      wrapped.chaos.fail('lock.extend')
      const answerOfA = a.getAccessToken(key)
      await slow.called
      await sleep(600)
      expect((await b.getAccessToken(key))?.access_token).toBe('token-of-b')
      // A "resumes": its lock tier answers again, and the platform's answer arrives.
      wrapped.chaos.heal('lock.extend')
      slow.answer()
      expect((await answerOfA)?.access_token).toBe('token-of-b')
      expect(lost).toEqual([{ kind: 'access_token', storageKey, tier: 'sqlite', reason: 'miss', served: 'stored' }])
      const shared = sqliteStore({ path })
      expect((await shared.get(storageKey))?.value).toEqual({ access_token: 'token-of-b' })
      await shared.close()
      // A's own memory tier took the stored token too.
      expect((await a.getAccessToken(key))?.access_token).toBe('token-of-b')
    })
  }

  it('a holder that still holds its lease writes, even over a record set meanwhile by another process', async () => {
    const path = join(dir, 'shared.db')
    const slow = heldSource('token-of-a')
    const a = createBridge({ stores: [memoryStore(), sqliteStore({ path })], source: slow, lock: { ttl: 3_000 } })
    bridges.push(a)
    const lost: unknown[] = []
    a.on('lease-lost', (e) => void lost.push(e))
    const answerOfA = a.getAccessToken(key)
    await slow.called
    const other = sqliteStore({ path })
    await other.set(storageKey, { value: { access_token: 'set-by-hand' }, expiresAt: Date.now() + 60_000 })
    slow.answer()
    expect((await answerOfA)?.access_token).toBe('token-of-a')
    expect((await other.get(storageKey))?.value).toEqual({ access_token: 'token-of-a' })
    await other.close()
    expect(lost).toEqual([])
  })
})
