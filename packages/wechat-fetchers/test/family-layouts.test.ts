/**
 * Every kind the Open Platform and WeCom families register reads back from its storage key, so `open-bridge export`,
 * `copy` and `rekey` move it (refresh tokens, permanent codes and pushed tickets above all: they cannot be fetched
 * again) and a sealed tier knows which of them may be re-fetched.
 */
import { isNotFetchable, kindDefinition, kindNameOfStorageKey, type CredentialKindDefinition } from '@open-bridge/core'
import {
  authorizerHome,
  authorizerRefreshToken,
  componentAccessToken,
  componentVerifyTicket,
  WECOM_KINDS,
} from '@open-bridge/wechat-fetchers'
import { describe, expect, it } from 'vitest'

const SAMPLE: Record<string, string> = {
  componentAppid: 'wxcomponent0000001',
  authorizerAppid: 'wxauthorizer000001',
  corpId: 'ww0123456789abcdef',
  agentId: '1000002',
  suiteId: 'wwsuite0123456789',
  providerCorpId: 'wwprovider01234567',
}

const kinds = [
  componentVerifyTicket,
  componentAccessToken,
  authorizerRefreshToken,
  authorizerHome,
  ...WECOM_KINDS.map((name) => kindDefinition(name)),
] as unknown as CredentialKindDefinition[]

describe('the families’ storage keys read back to their kinds', () => {
  it.each(kinds.map((kind) => [kind.name, kind] as const))('%s', (name, kind) => {
    const key = Object.fromEntries(Object.keys(kind.keyFields).map((field) => [field, SAMPLE[field]]))
    const storageKey = kind.storageKey(key)
    expect(kindNameOfStorageKey(storageKey)).toBe(name)
    // Durable and pushed kinds are never a quiet miss when their record does not open; the others are re-fetched.
    expect(isNotFetchable(storageKey)).toBe(kind.durable === true || kind.pushed === true)
  })

  it('no two kinds share a layout', () => {
    const keys = kinds.map((kind) =>
      kind.storageKey(Object.fromEntries(Object.keys(kind.keyFields).map((field) => [field, SAMPLE[field]]))),
    )
    expect(new Set(keys).size).toBe(kinds.length)
  })
})
