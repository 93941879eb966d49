import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import {
  createBridge,
  isBridgeError,
  keyField,
  memoryStore,
  registerKind,
  type CredentialBridge,
  type CredentialKindDefinition,
  type CredentialSource,
  type ResolvedKindKey,
} from '@open-bridge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

/** A WeCom-like kind, registered by this test as a family package would: one token per corp + agent. */
interface CorpKey {
  corpid: string
  agentid: number
}
interface CorpTokenValue {
  access_token: string
  [field: string]: unknown
}
const corpToken: CredentialKindDefinition<CorpKey, CorpTokenValue> = {
  name: 'test_corp_token',
  keyFields: { corpid: keyField.segment(), agentid: keyField.integer(1) },
  storageKey: ({ corpid, agentid }) => `test-family:${corpid}:${agentid}:corp-token`,
  credentialField: 'access_token',
  life: 7200,
}

/** A source for the registered kind: counts its calls, each one a new token. */
function corpSource() {
  const calls: { kind: string; key: ResolvedKindKey; reason: string }[] = []
  const source: CredentialSource = {
    fetch: async () => null,
    async fetchKind(kind, key, ctx) {
      calls.push({ kind, key, reason: ctx.reason })
      return { value: { access_token: `corp-${calls.length}` }, expiresIn: 7200 }
    },
  }
  return { source, calls }
}

async function refusal(
  promise: Promise<unknown> | (() => unknown),
): Promise<{ code: string; field?: string; message: string }> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    expect(isBridgeError(error)).toBe(true)
    return error as { code: string; field?: string; message: string }
  }
  throw new Error('expected a refusal')
}

let dir: string
let bridges: CredentialBridge[]
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ob-kinds-'))
  bridges = []
})
afterEach(async () => {
  await Promise.all(bridges.map((bridge) => bridge.close()))
  rmSync(dir, { recursive: true, force: true })
})
function bridgeOn(path: string, source?: CredentialSource, withMemory = true) {
  const stores = [...(withMemory ? [memoryStore()] : []), sqliteStore({ path: join(dir, path) })]
  const bridge = createBridge({ stores, ...(source ? { source } : {}) })
  bridges.push(bridge)
  return bridge
}

describe('a registered kind', () => {
  registerKind(corpToken)
  const key = { corpid: 'ww1234', agentid: 1000002 }

  it('goes through get (source on a miss), set, refresh and remove, stored in SQLite under its own layout', async () => {
    const { source, calls } = corpSource()
    const bridge = bridgeOn('a.db', source)
    const corp = bridge.credential(corpToken)
    expect(corp.kind).toBe('test_corp_token')

    expect(await corp.get(key)).toEqual({ access_token: 'corp-1' })
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ kind: 'test_corp_token', reason: 'miss' })
    expect(calls[0]!.key).toEqual({
      corpid: 'ww1234',
      agentid: 1000002,
      kind: 'test_corp_token',
      storageKey: 'test-family:ww1234:1000002:corp-token',
    })
    // A hit: no second fetch.
    expect(await corp.get({ ...key })).toEqual({ access_token: 'corp-1' })
    expect(calls).toHaveLength(1)

    // The record is in the SQLite file under the kind's layout: a second bridge on the file (no memory) reads it.
    const reader = bridgeOn('a.db', undefined, false)
    expect(await reader.credential(corpToken).get(key)).toEqual({ access_token: 'corp-1' })

    // Compare-and-refresh compares the kind's credential field.
    expect(await corp.refresh(key, { ifValue: 'corp-1' })).toEqual({ access_token: 'corp-2' })
    expect(await corp.refresh(key, { ifValue: 'corp-1' })).toEqual({ access_token: 'corp-2' })
    expect(calls.map((call) => call.reason)).toEqual(['miss', 'rejected'])

    await corp.set(key, { access_token: 'SET' })
    expect(await reader.credential(corpToken).get(key)).toEqual({ access_token: 'SET' })
    await corp.remove(key)
    expect(await reader.credential(corpToken).get(key)).toBeNull()
  })

  it('set without expiresIn gives the value the kind’s life', async () => {
    const bridge = bridgeOn('life.db')
    const before = Date.now()
    await bridge.credential(corpToken).set(key, { access_token: 'T' })
    const record = await bridge.getRecord('test_corp_token' as never, key as never)
    expect(record?.expiresAt).toBeGreaterThanOrEqual(before + 7_200_000)
    expect(record?.expiresAt).toBeLessThanOrEqual(Date.now() + 7_200_000)
  })

  it('a value without the kind’s credential field is E_INVALID_VALUE naming it', async () => {
    const bridge = bridgeOn('value.db')
    const error = await refusal(bridge.credential(corpToken).set(key, { token: 'x' } as never))
    expect(error).toMatchObject({ code: 'E_INVALID_VALUE', field: 'value.access_token' })
  })

  it.each([
    ['key.corpid', { agentid: 1 }],
    ['key.corpid', { corpid: '', agentid: 1 }],
    ['key.corpid', { corpid: 'a:b', agentid: 1 }],
    ['key.agentid', { corpid: 'ww1' }],
    ['key.agentid', { corpid: 'ww1', agentid: 0 }],
    ['key.agentid', { corpid: 'ww1', agentid: '1' }],
    ['key', null],
  ])('an invalid key is E_INVALID_KEY naming %s', async (field, bad) => {
    const { source, calls } = corpSource()
    const corp = bridgeOn('bad.db', source).credential(corpToken)
    for (const call of [
      () => corp.get(bad as never),
      () => corp.set(bad as never, { access_token: 'x' }),
      () => corp.remove(bad as never),
      () => corp.refresh(bad as never),
    ]) {
      expect(await refusal(call)).toMatchObject({ code: 'E_INVALID_KEY', field })
    }
    expect(calls).toHaveLength(0)
  })

  it('a key naming a platform still goes to the registered kind (the built-in key rules do not apply)', async () => {
    const platformKind = registerKind<{ platform: string; corpid: string }, { access_token: string }>({
      name: 'test_platform_kind',
      keyFields: { platform: keyField.oneOf(['weixin-mp', 'elsewhere']), corpid: keyField.segment() },
      storageKey: ({ platform, corpid }) => `test-family:${platform}:${corpid}`,
      credentialField: 'access_token',
    })
    const bridge = bridgeOn('platform.db')
    const handle = bridge.credential(platformKind)
    await handle.set({ platform: 'weixin-mp', corpid: 'c1' }, { access_token: 'A' }, 60)
    await handle.set({ platform: 'elsewhere', corpid: 'c1' }, { access_token: 'B' }, 60)
    expect(await handle.get({ platform: 'weixin-mp', corpid: 'c1' })).toEqual({ access_token: 'A' })
    expect(await handle.get({ platform: 'elsewhere', corpid: 'c1' })).toEqual({ access_token: 'B' })
    expect(await refusal(handle.get({ platform: 'weixin-mp' } as never))).toMatchObject({ field: 'key.corpid' })
  })

  it('a kind neither built in nor registered is E_INVALID_KEY on kind', async () => {
    const bridge = bridgeOn('unknown.db')
    expect(await refusal(() => bridge.credential('no_such_kind' as never))).toMatchObject({
      code: 'E_INVALID_KEY',
      field: 'kind',
    })
    expect(await refusal(bridge.get('no_such_kind' as never, { corpid: 'x' } as never))).toMatchObject({
      code: 'E_INVALID_KEY',
      field: 'kind',
    })
  })

  it('a built-in kind through credential() is the same as the named methods', async () => {
    const bridge = bridgeOn('builtin.db')
    const mp = { appid: 'wx1', platform: 'weixin-mp' as const }
    await bridge.credential('access_token').set(mp, { access_token: 'AT' }, 60)
    expect(await bridge.getAccessToken(mp)).toEqual({ access_token: 'AT' })
    await bridge.credential('access_token').remove(mp)
    expect(await bridge.getAccessToken(mp)).toBeNull()
  })
})

describe('registering', () => {
  const base = {
    name: 'test_reg_kind',
    keyFields: { id: keyField.segment() },
    storageKey: ({ id }: { id: string }) => `test-family:${id}`,
    credentialField: 'token' as const,
  }

  it('the same definition again is a no-op; another one under a taken name is E_KIND_EXISTS', () => {
    const registered = registerKind(base)
    expect(Object.isFrozen(registered)).toBe(true)
    expect(registerKind(base)).toBe(registered)
    expect(registerKind({ ...base })).toBe(registered)
    expect(() => registerKind({ ...base, credentialField: 'other' })).toThrow(
      expect.objectContaining({ code: 'E_KIND_EXISTS', field: 'kind.name' }),
    )
    expect(() => registerKind({ ...base, durable: true })).toThrow(expect.objectContaining({ code: 'E_KIND_EXISTS' }))
    expect(() => registerKind({ ...base, storageKey: ({ id }: { id: string }) => `other:${id}` })).toThrow(
      expect.objectContaining({ code: 'E_KIND_EXISTS' }),
    )
  })

  it('a built-in kind’s name is E_KIND_EXISTS', () => {
    expect(() => registerKind({ ...base, name: 'access_token' })).toThrow(
      expect.objectContaining({ code: 'E_KIND_EXISTS', field: 'kind.name' }),
    )
  })

  it.each([
    ['kind', null],
    ['kind.name', { ...base, name: 'Bad-Name' }],
    ['kind.name', { ...base, name: undefined }],
    ['kind.keyFields', { ...base, keyFields: {} }],
    ['kind.keyFields', { ...base, keyFields: [] }],
    ['kind.keyFields.id', { ...base, keyFields: { id: 'segment' } }],
    ['kind.storageKey', { ...base, storageKey: 'test:{id}' }],
    ['kind.credentialField', { ...base, credentialField: '' }],
    ['kind.companionFields', { ...base, companionFields: 'iv' }],
    ['kind.life', { ...base, life: 0 }],
    ['kind.refreshAhead', { ...base, refreshAhead: -1 }],
    ['kind.durable', { ...base, durable: 'yes' }],
    ['kind.pushed', { ...base, pushed: 1 }],
    ['kind.pushedHint', { ...base, pushedHint: 5 }],
    ['kind.refreshAhead', { ...base, pushed: true, refreshAhead: 1000 }],
  ])('a malformed definition is E_INVALID_KIND naming %s', (field, definition) => {
    expect(() => registerKind(definition as never)).toThrow(expect.objectContaining({ code: 'E_INVALID_KIND', field }))
  })

  it('a layout that returns no string is E_INVALID_KIND on kind.storageKey at the call', async () => {
    const broken = registerKind<{ id: string }, { token: string }>({
      ...base,
      name: 'test_broken_layout',
      storageKey: () => '' as string,
    })
    const bridge = createBridge({ stores: [memoryStore()] })
    expect(await refusal(bridge.credential(broken).get({ id: 'x' }))).toMatchObject({
      code: 'E_INVALID_KIND',
      field: 'kind.storageKey',
    })
    await bridge.close()
  })

  it('a registered definition changed afterwards changes nothing (it was copied and frozen)', async () => {
    const mutable = {
      ...base,
      name: 'test_frozen_kind',
      keyFields: { id: keyField.segment() },
      credentialField: 'token' as string,
    }
    const registered = registerKind(mutable)
    mutable.credentialField = 'changed'
    ;(mutable.keyFields as Record<string, unknown>).extra = keyField.segment()
    const bridge = createBridge({ stores: [memoryStore()] })
    await bridge.credential(registered).set({ id: 'a' }, { token: 'T' } as never, 60)
    expect(await bridge.credential(registered).get({ id: 'a' })).toEqual({ token: 'T' })
    // The changed object is another definition under the same name now.
    expect(() => bridge.credential(mutable)).toThrow(expect.objectContaining({ code: 'E_KIND_EXISTS' }))
    await bridge.close()
  })
})

describe('a source reading another registered kind while it fetches', () => {
  const componentToken = registerKind<{ component: string }, { token: string }>({
    name: 'test_component_token',
    keyFields: { component: keyField.segment() },
    storageKey: ({ component }) => `test-family:${component}:component-token`,
    credentialField: 'token',
  })
  const authorizerToken = registerKind<{ component: string; authorizer: string }, { token: string }>({
    name: 'test_authorizer_token',
    keyFields: { component: keyField.segment(), authorizer: keyField.segment() },
    storageKey: ({ component, authorizer }) => `test-family:${component}:${authorizer}:authorizer-token`,
    credentialField: 'token',
  })

  it('each under its own lock: 50 cold callers → one component fetch, one authorizer fetch, no deadlock', async () => {
    const fetched: string[] = []
    const source: CredentialSource = {
      fetch: async () => null,
      async fetchKind(kind, key, ctx) {
        fetched.push(kind)
        if (kind === 'test_component_token') return { value: { token: 'COMPONENT' }, expiresIn: 7200 }
        // The authorizer token needs the component token: read through the same bridge.
        const component = await ctx.bridge.credential(componentToken).get({ component: key.component as string })
        return { value: { token: `AUTH-with-${component?.token}` }, expiresIn: 7200 }
      },
    }
    const bridge = bridgeOn('nested.db', source)
    const key = { component: 'wxcomp', authorizer: 'wxauth' }
    const results = await Promise.all(Array.from({ length: 50 }, () => bridge.credential(authorizerToken).get(key)))
    expect(new Set(results.map((value) => value?.token))).toEqual(new Set(['AUTH-with-COMPONENT']))
    expect(fetched.sort()).toEqual(['test_authorizer_token', 'test_component_token'])
  })
})

describe('key-field checks and companion fields', () => {
  it('optionalSegment accepts absence, refuses what segment refuses; oneOf names the choices', () => {
    const optional = keyField.optionalSegment()
    expect(optional(undefined)).toBeUndefined()
    expect(optional('a')).toBeUndefined()
    expect(optional('')).toMatch(/non-empty string/)
    expect(optional('a:b')).toMatch(/':'/)
    expect(keyField.oneOf(['a', 'b'])('c')).toBe('must be one of a, b')
    expect(keyField.integer()(0)).toBeUndefined()
    expect(keyField.integer()(1.5)).toMatch(/integer ≥ 0/)
  })

  it('a companion field is required on every write, and an optional key field may be left out', async () => {
    const sealed = registerKind<{ id: string; variant?: string }, { key: string; iv: string }>({
      name: 'test_companion_kind',
      keyFields: { id: keyField.segment(), variant: keyField.optionalSegment() },
      storageKey: ({ id, variant }) => `test-family:${id}:${variant ?? 'default'}`,
      credentialField: 'key',
      companionFields: ['iv'],
    })
    const bridge = createBridge({ stores: [memoryStore()] })
    const handle = bridge.credential(sealed)
    expect(await refusal(handle.set({ id: 'a' }, { key: 'K' } as never, 60))).toMatchObject({
      code: 'E_INVALID_VALUE',
      field: 'value.iv',
    })
    await handle.set({ id: 'a' }, { key: 'K', iv: 'IV' }, 60)
    await handle.set({ id: 'a', variant: 'v2' }, { key: 'K2', iv: 'IV2' }, 60)
    expect(await handle.get({ id: 'a' })).toEqual({ key: 'K', iv: 'IV' })
    expect(await handle.get({ id: 'a', variant: 'v2' })).toEqual({ key: 'K2', iv: 'IV2' })
    await bridge.close()
  })

  it('companionFields must name fields', () => {
    expect(() =>
      registerKind({
        name: 'test_bad_companions',
        keyFields: { id: keyField.segment() },
        storageKey: ({ id }: { id: string }) => id,
        credentialField: 'key',
        companionFields: ['iv', ''],
      }),
    ).toThrow(expect.objectContaining({ code: 'E_INVALID_KIND', field: 'kind.companionFields' }))
  })
})
