/**
 * Type tests of registered kinds: a definition must check every key field and name a field of its value as the
 * credential; `bridge.credential(kind)` is typed by the definition (or by the built-in kind). Never executed.
 */
import {
  keyField,
  registerKind,
  type AccessTokenValue,
  type AppKey,
  type CredentialBridge,
  type CredentialHandle,
  type CredentialKindDefinition,
  type CredentialSource,
  type ResolvedKindKey,
} from '@open-bridge/core'
import { describe, expectTypeOf, it } from 'vitest'

declare const bridge: CredentialBridge
interface CorpKey {
  corpid: string
  agentid: number
}
interface CorpToken {
  access_token: string
  expires_hint?: number
}

describe('kind definitions', () => {
  it('every key field needs a check, and the credential field must be a field of the value', () => {
    const ok: CredentialKindDefinition<CorpKey, CorpToken> = {
      name: 'corp_token',
      keyFields: { corpid: keyField.segment(), agentid: keyField.integer(1) },
      storageKey: ({ corpid, agentid }) => `wecom:${corpid}:${agentid}`,
      credentialField: 'access_token',
    }
    expectTypeOf(ok.storageKey).parameter(0).toEqualTypeOf<Readonly<CorpKey>>()
    // @ts-expect-error agentid has no check
    const missing: CredentialKindDefinition<CorpKey, CorpToken> = { ...ok, keyFields: { corpid: keyField.segment() } }
    // @ts-expect-error not a field of the value
    const wrongField: CredentialKindDefinition<CorpKey, CorpToken> = { ...ok, credentialField: 'token' }
    void missing
    void wrongField
  })

  it('registerKind returns the definition typed, and credential() is typed by it', () => {
    const corp = registerKind<CorpKey, CorpToken>({
      name: 'corp_token',
      keyFields: { corpid: keyField.segment(), agentid: keyField.integer(1) },
      storageKey: ({ corpid, agentid }) => `wecom:${corpid}:${agentid}`,
      credentialField: 'access_token',
    })
    const handle = bridge.credential(corp)
    expectTypeOf(handle).toEqualTypeOf<CredentialHandle<CorpKey, CorpToken>>()
    expectTypeOf(handle.get({ corpid: 'ww', agentid: 1 })).resolves.toEqualTypeOf<CorpToken | null>()
    // @ts-expect-error agentid missing
    void handle.get({ corpid: 'ww' })
    // @ts-expect-error the value needs its credential field
    void handle.set({ corpid: 'ww', agentid: 1 }, { token: 'x' })
  })

  it('a built-in kind through credential() keeps its key and value types', () => {
    const access = bridge.credential('access_token')
    expectTypeOf(access).toEqualTypeOf<CredentialHandle<AppKey, AccessTokenValue>>()
    // @ts-expect-error not a kind
    bridge.credential('corp_token')
  })

  it('a source may answer registered kinds with fetchKind', () => {
    const source: CredentialSource = {
      fetch: async () => null,
      fetchKind: async (kind, key) => {
        expectTypeOf(kind).toEqualTypeOf<string>()
        expectTypeOf(key).toMatchTypeOf<ResolvedKindKey>()
        expectTypeOf(key.storageKey).toEqualTypeOf<string>()
        return { value: { access_token: 'x' }, expiresIn: 7200 }
      },
    }
    void source
  })
})
