import {
  isBridgeError,
  keyField,
  keyLayout,
  kindNameOfStorageKey,
  registerKind,
  type CredentialKindDefinition,
} from '@open-bridge/core'
import { describe, expect, it } from 'vitest'

interface AppKey {
  corpId: string
  agentId: string
}

function thrown(run: () => unknown): { code?: string; field?: string; message: string } {
  try {
    run()
  } catch (error) {
    expect(isBridgeError(error)).toBe(true)
    return error as { code?: string; field?: string; message: string }
  }
  throw new Error('expected an error')
}

describe('keyLayout: a storage-key layout and its inverse from one template', () => {
  const layout = keyLayout<AppKey>('kl-family:{corpId}:{agentId}:corp-token')

  it('fills the placeholders and reads them back', () => {
    expect(layout.storageKey({ corpId: 'ww1', agentId: '1000002' })).toBe('kl-family:ww1:1000002:corp-token')
    expect(layout.parseStorageKey('kl-family:ww1:1000002:corp-token')).toEqual({ corpId: 'ww1', agentId: '1000002' })
  })

  it('reads nothing from another layout, an extra segment or an empty one', () => {
    expect(layout.parseStorageKey('kl-family:ww1:1000002:agent-ticket')).toBeUndefined()
    expect(layout.parseStorageKey('kl-family:ww1:x:1000002:corp-token')).toBeUndefined()
    expect(layout.parseStorageKey('kl-family::1000002:corp-token')).toBeUndefined()
    expect(layout.parseStorageKey('xkl-family:ww1:1000002:corp-token')).toBeUndefined()
    // Literal characters of the template are not patterns.
    expect(keyLayout<{ a: string }>('a.b:{a}').parseStorageKey('axb:1')).toBeUndefined()
  })

  it('lets a registered kind be found from its storage key', () => {
    registerKind<AppKey, { access_token: string }>({
      name: 'kl_corp_token',
      keyFields: { corpId: keyField.segment(), agentId: keyField.segment() },
      ...layout,
      credentialField: 'access_token',
    })
    expect(kindNameOfStorageKey('kl-family:ww9:contacts:corp-token')).toBe('kl_corp_token')
  })

  it('keeps two kinds of one name but different templates apart (E_KIND_EXISTS)', () => {
    const definition = (template: string): CredentialKindDefinition<AppKey, { ticket: string }> => ({
      name: 'kl_ticket',
      keyFields: { corpId: keyField.segment(), agentId: keyField.segment() },
      ...keyLayout<AppKey>(template),
      credentialField: 'ticket',
    })
    registerKind(definition('kl-family:{corpId}:{agentId}:ticket'))
    // The same template again (an ESM and a CJS copy registering): the same kind.
    expect(() => registerKind(definition('kl-family:{corpId}:{agentId}:ticket'))).not.toThrow()
    expect(thrown(() => registerKind(definition('kl-other:{corpId}:{agentId}:ticket'))).code).toBe('E_KIND_EXISTS')
  })

  it('refuses a template it could not read back, naming kind.storageKey', () => {
    for (const template of ['no-fields', 'a:{x}:{x}', 'a:{x}{y}', 'a:{x}-{y}']) {
      const error = thrown(() => keyLayout(template))
      expect(error.code).toBe('E_INVALID_KIND')
      expect(error.field).toBe('kind.storageKey')
    }
  })
})
