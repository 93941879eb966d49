import type { CredentialStore } from '@open-bridge/core'
import { keyvStore, type KeyvStoreOptions } from '@open-bridge/adapter-keyv'
import { Keyv } from 'keyv'
import { describe, expectTypeOf, it } from 'vitest'

describe('keyvStore types', () => {
  it('takes one options object holding the Keyv', () => {
    const keyv = new Keyv()
    expectTypeOf(keyvStore).parameters.toEqualTypeOf<[KeyvStoreOptions]>()
    expectTypeOf(keyvStore({ keyv })).toEqualTypeOf<CredentialStore>()
    expectTypeOf(keyvStore({ keyv, name: 'postgres' })).toEqualTypeOf<CredentialStore>()
    expectTypeOf<KeyvStoreOptions>().toHaveProperty('keyv')
  })

  it('refuses the old positional form and an options object without keyv', () => {
    const keyv = new Keyv()
    // @ts-expect-error the Keyv goes inside the options object: keyvStore({ keyv })
    keyvStore(keyv)
    // @ts-expect-error the Keyv goes inside the options object: keyvStore({ keyv, name })
    keyvStore(keyv, { name: 'old' })
    // @ts-expect-error keyv is required
    keyvStore({ name: 'keyv' })
  })
})
