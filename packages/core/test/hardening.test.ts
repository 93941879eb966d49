import { BridgeError, createBridge, isBridgeError, memoryStore } from '@open-bridge/core'
import { afterEach, describe, expect, it } from 'vitest'
import { sanitizeCause } from '../src/errors.js'
import { redactSecrets } from '../src/redact-secrets.js'
import { assertCredentialValue } from '../src/expiry.js'
import { LISTENER_WARNING_CODE } from '../src/events.js'
import { MEMORY_STORE_MAX_LIMIT } from '../src/memory-store.js'
import { setTimeout as sleep } from 'node:timers/promises'

const mp = { appid: 'wx1', platform: 'weixin-mp' } as const

describe('values are checked deeply (E_INVALID_VALUE naming the field)', () => {
  const cyclic: Record<string, unknown> = { access_token: 't' }
  cyclic.self = { back: cyclic }
  class Token {
    access_token = 't'
  }
  it.each<[string, unknown, string]>([
    ['an empty object', {}, 'value.access_token'],
    ['a numeric access_token', { access_token: 42 }, 'value.access_token'],
    ['an empty access_token', { access_token: '' }, 'value.access_token'],
    ['a function field', { access_token: 't', refresh: () => 1 }, 'value.refresh'],
    ['a BigInt field', { access_token: 't', n: 10n }, 'value.n'],
    ['a symbol field', { access_token: 't', s: Symbol('s') }, 'value.s'],
    ['a Date field', { access_token: 't', at: new Date() }, 'value.at'],
    ['a Map field', { access_token: 't', m: new Map() }, 'value.m'],
    ['a toJSON method', { access_token: 't', toJSON: () => ({ access_token: 'other' }) }, 'value.toJSON'],
    ['a nested toJSON', { access_token: 't', extra: { toJSON: () => 1 } }, 'value.extra.toJSON'],
    ['a cycle', cyclic, 'value.self.back'],
    ['NaN', { access_token: 't', n: Number.NaN }, 'value.n'],
    ['Infinity in an array', { access_token: 't', list: [1, Number.POSITIVE_INFINITY] }, 'value.list[1]'],
    ['undefined in an array', { access_token: 't', list: [undefined] }, 'value.list[0]'],
    // biome-ignore lint/suspicious/noSparseArray: the hole is the bad input under test
    ['a sparse array', { access_token: 't', list: [1, , 3] }, 'value.list[1]'],
    ['a class instance', new Token(), 'value'],
    ['symbol keys', { access_token: 't', [Symbol('k')]: 1 }, 'value'],
  ])('set refuses %s', async (_, value, field) => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const error = await bridge.setAccessToken(mp, value as never, 60).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_INVALID_VALUE', field })
    expect(await bridge.getAccessToken(mp)).toBeNull()
    await bridge.close()
  })

  it('a fallback result is checked the same way', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const error = await bridge
      .getAccessToken(mp, async () => ({ value: { access_token: 't', at: new Date() }, duration: 60 }) as never)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_INVALID_VALUE', field: 'fallback().value.at' })
    await bridge.close()
  })

  it('accepts JSON values: nested objects, arrays, null, shared (non-cyclic) references, undefined fields, null prototypes', async () => {
    const shared = { a: 1 }
    const bare = Object.assign(Object.create(null) as object, { ticket: 'tk' })
    expect(() =>
      assertCredentialValue(
        { access_token: 't', x: { list: [1, 'two', null, true, { y: shared }] }, z: shared, u: undefined },
        'value',
      ),
    ).not.toThrow()
    expect(() => assertCredentialValue(bare, 'value')).not.toThrow()
  })

  it('with a kind, wants that kind’s field: encrypt_key needs iv, session_key its session_key', () => {
    expect(() => assertCredentialValue({ encrypt_key: 'k' }, 'value', 'encrypt_key')).toThrow(
      expect.objectContaining({ field: 'value.iv' }),
    )
    expect(() => assertCredentialValue({ access_token: 't' }, 'value', 'session_key')).toThrow(
      expect.objectContaining({ field: 'value.session_key' }),
    )
    expect(() => assertCredentialValue({ encrypt_key: 'k', iv: 'i' }, 'value', 'encrypt_key')).not.toThrow()
  })

  it('names the field, never prints a value', () => {
    try {
      assertCredentialValue({ access_token: 'SECRET-TOKEN-1', extra: { fn: () => 'SECRET-TOKEN-1' } }, 'value')
      expect.unreachable()
    } catch (error) {
      expect((error as Error).message).not.toContain('SECRET-TOKEN-1')
      expect((error as BridgeError).field).toBe('value.extra.fn')
    }
  })

  it('refuses nesting deeper than 32 levels instead of recursing without end', () => {
    let deep: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 40; i++) deep = { deep }
    expect(() => assertCredentialValue({ access_token: 't', deep }, 'value')).toThrow(
      expect.objectContaining({ code: 'E_INVALID_VALUE' }),
    )
  })
})

describe('listeners cannot crash the process', () => {
  const warnings: Error[] = []
  const onWarning = (warning: Error) => {
    if ((warning as { code?: string }).code === LISTENER_WARNING_CODE) warnings.push(warning)
  }
  const rejections: unknown[] = []
  const onRejection = (reason: unknown) => rejections.push(reason)
  afterEach(() => {
    process.off('warning', onWarning)
    process.off('unhandledRejection', onRejection)
    warnings.length = 0
    rejections.length = 0
  })

  it('a throwing and a rejecting listener are contained and each reported once as a process warning', async () => {
    process.on('warning', onWarning)
    process.on('unhandledRejection', onRejection)
    const bridge = createBridge({ stores: [memoryStore()] })
    let calls = 0
    bridge.on('fetch', () => {
      calls++
      throw new Error('listener bug')
    })
    bridge.on('fetch', async () => {
      calls++
      throw new TypeError('async listener bug')
    })
    for (let i = 0; i < 3; i++) {
      await bridge.getAccessToken({ ...mp, appid: `wx${i}` }, async () => ({
        value: { access_token: `t${i}` },
        duration: 60,
      }))
    }
    await sleep(50)
    expect(calls).toBe(6)
    expect(rejections).toEqual([])
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining("'fetch' listener failed (Error)"),
      expect.stringContaining("'fetch' listener failed (TypeError)"),
    ])
    await bridge.close()
  })
})

describe('memoryStore is bounded and lazy', () => {
  it(`refuses max above ${MEMORY_STORE_MAX_LIMIT} and maxBytes that is not a positive integer`, () => {
    expect(() => memoryStore({ max: MEMORY_STORE_MAX_LIMIT + 1 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'max' }),
    )
    expect(() => memoryStore({ max: 2 ** 53 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'max' }),
    )
    for (const maxBytes of [0, -1, 1.5, '1kb', Number.POSITIVE_INFINITY]) {
      expect(() => memoryStore({ maxBytes } as never)).toThrow(
        expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'maxBytes' }),
      )
    }
    expect(() => memoryStore(null as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'options' }),
    )
  })

  it('allocates nothing in proportion to max (the largest max costs under 4 MB up front)', () => {
    globalThis.gc?.()
    const before = process.memoryUsage()
    const stores = [memoryStore({ max: MEMORY_STORE_MAX_LIMIT }), memoryStore({ max: MEMORY_STORE_MAX_LIMIT })]
    const after = process.memoryUsage()
    // lru-cache given max = 10M pre-allocates two Uint32Arrays and two arrays of 10M slots each (> 100 MB).
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(4 * 1024 * 1024)
    expect(after.heapUsed - before.heapUsed).toBeLessThan(4 * 1024 * 1024)
    expect(stores).toHaveLength(2)
  })

  it('still evicts the least recently used beyond max', async () => {
    const store = memoryStore({ max: 3 })
    for (const k of ['a', 'b', 'c']) await store.set(k, { value: { access_token: k }, expiresAt: null })
    await store.get('a')
    await store.set('d', { value: { access_token: 'd' }, expiresAt: null })
    expect(await store.get('b')).toBeUndefined()
    for (const k of ['a', 'c', 'd']) expect((await store.get(k))?.value).toEqual({ access_token: k })
  })

  it('bounds bytes with maxBytes: least recently used first, and an oversized record is not kept (nor its older copy)', async () => {
    const store = memoryStore({ maxBytes: 1_000 })
    const value = (k: string) => ({ access_token: k.repeat(200) }) // ~220 bytes of JSON + key
    for (const k of ['a', 'b', 'c', 'd']) await store.set(k, { value: value(k), expiresAt: null })
    await store.get('a')
    await store.set('e', { value: value('e'), expiresAt: null })
    expect(await store.get('b')).toBeUndefined()
    for (const k of ['a', 'c', 'd', 'e']) expect(await store.get(k)).toBeDefined()
    await store.set('a', { value: { access_token: 'x'.repeat(5_000) }, expiresAt: null })
    expect(await store.get('a')).toBeUndefined()
    expect(await store.get('e')).toBeDefined()
  })
})

describe('errors are recognised by brand, and causes are sanitised', () => {
  it('isBridgeError and instanceof BridgeError accept a branded error from another copy; subclasses keep their own test', () => {
    const foreign = Object.assign(new Error('from the other build'), { code: 'E_CLOSED' })
    Object.defineProperty(foreign, Symbol.for('open-bridge.error'), { value: true })
    expect(isBridgeError(foreign)).toBe(true)
    expect(isBridgeError(foreign, 'E_CLOSED')).toBe(true)
    expect(isBridgeError(foreign, 'E_INVALID_KEY')).toBe(false)
    expect(foreign instanceof BridgeError).toBe(true)
    expect(isBridgeError(new Error('plain'))).toBe(false)
    expect(isBridgeError(Object.assign(new Error('x'), { code: 'E_CLOSED' }))).toBe(false)
    class SubError extends BridgeError<'E_SUB'> {}
    expect(new SubError('E_SUB', 'x') instanceof SubError).toBe(true)
    expect(new BridgeError('E_CLOSED', 'x') instanceof SubError).toBe(false)
  })

  it('the brand shows neither in JSON nor in inspect', async () => {
    const { inspect } = await import('node:util')
    const error = new BridgeError('E_CLOSED', 'closed')
    expect(JSON.stringify(error)).toBe('{"name":"BridgeError","code":"E_CLOSED","message":"closed"}')
    expect(inspect(error)).not.toContain('open-bridge.error')
  })

  it('sanitizeCause keeps name, code and message, masks literals and URL credentials, drops every other field', async () => {
    const { inspect } = await import('node:util')
    const driver = Object.assign(
      new Error('WRONGPASS for redis://user:hunter22@127.0.0.1:6379 holding {"access_token":"TOK-123"}'),
      {
        name: 'ReplyError',
        code: 'WRONGPASS',
        command: { name: 'set', args: ['k', '{"access_token":"TOK-123"}'] },
        options: { password: 'hunter22' },
      },
    )
    const cause = sanitizeCause(driver, ['TOK-123', 'hunter22'])
    const shown = `${inspect(cause, { depth: 10 })} ${JSON.stringify(cause)} ${cause.stack}`
    expect(shown).not.toContain('TOK-123')
    expect(shown).not.toContain('hunter22')
    expect(shown).not.toContain('args')
    expect(cause).toMatchObject({ name: 'ReplyError', code: 'WRONGPASS' })
    expect(cause.message).toBe('WRONGPASS for redis://***@127.0.0.1:6379 holding {"access_token":"***"}')
    expect(redactSecrets('mongodb+srv://a:b@c/d and http://x@y')).toBe('mongodb+srv://***@c/d and http://***@y')
  })
})

describe('the credential field of each kind', () => {
  it('each kind needs its own field; a refresh_token is the credential of user_refresh_token only', () => {
    expect(() => assertCredentialValue({ refresh_token: 'REFRESH' }, 'value', 'user_refresh_token')).not.toThrow()
    expect(() =>
      assertCredentialValue({ access_token: '', refresh_token: 'REFRESH' }, 'value', 'user_access_token'),
    ).toThrow(expect.objectContaining({ field: 'value.access_token' }))
    expect(() => assertCredentialValue({ encrypt_key: 'K' }, 'value', 'encrypt_key')).toThrow(
      expect.objectContaining({ field: 'value.iv' }),
    )
    expect(() => assertCredentialValue({ access_token: '', refresh_token: 'REFRESH' }, 'value')).toThrow(
      expect.objectContaining({ field: 'value.access_token' }),
    )
  })
})
