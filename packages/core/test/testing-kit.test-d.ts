import { memoryStore, type CredentialStore, type StoredRecord } from '@open-bridge/core'
import {
  chaosStore,
  everyRendering,
  lockContract,
  runStoreContract,
  type ChaosController,
  type ChaosCountedOperation,
  type ChaosErrorCode,
  type ChaosOperation,
  type ChaosStore,
  type FailingStore,
  type LockContractOptions,
  type StoreContractOptions,
} from '@open-bridge/core/testing'
import { describe, expectTypeOf, it } from 'vitest'

describe('runStoreContract and lockContract', () => {
  it('take a name and options, and register tests (return nothing)', () => {
    expectTypeOf(runStoreContract).parameters.toEqualTypeOf<[string, StoreContractOptions]>()
    expectTypeOf(runStoreContract).returns.toEqualTypeOf<void>()
    expectTypeOf(lockContract).parameters.toEqualTypeOf<[string, LockContractOptions]>()
    expectTypeOf(lockContract).returns.toEqualTypeOf<void>()
  })

  it('need only create; lock, ttlResolution, destroy and failing are optional', () => {
    expectTypeOf({ create: () => memoryStore() }).toExtend<StoreContractOptions>()
    expectTypeOf({ create: async () => memoryStore() }).toExtend<StoreContractOptions>()
    expectTypeOf({
      create: () => memoryStore(),
      destroy: async (_store: CredentialStore) => {},
      lock: false,
      ttlResolution: 1_000,
      failing: false as const,
    }).toExtend<StoreContractOptions>()
    expectTypeOf({
      create: () => memoryStore(),
      failing: async (): Promise<FailingStore> => ({ store: memoryStore(), secrets: ['pw'], cleanup: () => {} }),
    }).toExtend<StoreContractOptions>()
    expectTypeOf<StoreContractOptions['lock']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<StoreContractOptions['ttlResolution']>().toEqualTypeOf<number | undefined>()
  })

  it('refuse options that are not a store factory or a declaration', () => {
    // @ts-expect-error create is required
    runStoreContract('s', { lock: true })
    // @ts-expect-error create makes a store, it is not one
    runStoreContract('s', { create: memoryStore() })
    // @ts-expect-error failing: true says nothing about how the store fails
    runStoreContract('s', { create: () => memoryStore(), failing: true })
    // @ts-expect-error ttlResolution is milliseconds, not a string
    runStoreContract('s', { create: () => memoryStore(), ttlResolution: '1s' })
    // @ts-expect-error the lock contract has no failing store
    lockContract('l', { create: () => memoryStore(), failing: false })
    // @ts-expect-error a failing store must say which store
    expectTypeOf<{ secrets: string[] }>().toExtend<FailingStore>()
  })

  it('everyRendering takes anything and renders a string', () => {
    expectTypeOf(everyRendering).parameters.toEqualTypeOf<[unknown]>()
    expectTypeOf(everyRendering).returns.toEqualTypeOf<string>()
  })
})

describe('chaosStore', () => {
  it('wraps any store and hands back a store and its controller', () => {
    const made = chaosStore(memoryStore(), { hide: ['getSync'] })
    expectTypeOf(made).toEqualTypeOf<ChaosStore>()
    expectTypeOf(made.store).toEqualTypeOf<CredentialStore>()
    expectTypeOf(made.chaos).toEqualTypeOf<ChaosController>()
    expectTypeOf(made.store.get).returns.resolves.toEqualTypeOf<StoredRecord | undefined>()
  })

  it('names operations by their literal names; calls counts close too, read-only', () => {
    expectTypeOf<'get' | 'getSync' | 'set' | 'delete'>().toExtend<ChaosOperation>()
    expectTypeOf<'lock.acquire' | 'lock.extend' | 'lock.release'>().toExtend<ChaosOperation>()
    expectTypeOf<'close'>().not.toExtend<ChaosOperation>()
    expectTypeOf<ChaosCountedOperation>().toEqualTypeOf<ChaosOperation | 'close'>()
    expectTypeOf<ChaosController['calls']>().toEqualTypeOf<Readonly<Record<ChaosCountedOperation, number>>>()
    expectTypeOf<ChaosErrorCode>().toEqualTypeOf<'E_CHAOS_FAULT' | 'E_INVALID_CONFIG'>()
  })

  it('accepts one operation, a list, or none; an error object or a factory; delays in ms', () => {
    const { chaos } = chaosStore(memoryStore())
    chaos.fail()
    chaos.fail('get')
    chaos.fail(['set', 'delete'], { error: new Error('READONLY'), delay: 150 })
    chaos.fail(undefined, { error: (operation) => new Error(`${operation} refused`) })
    chaos.delay('get', 100, { on: 'reply' })
    chaos.hang(['get'], { signal: new AbortController().signal })
    chaos.heal('get')
    expectTypeOf(chaos.hanging).toEqualTypeOf<number>()
  })

  it('refuses what is not an operation or option', () => {
    const { chaos } = chaosStore(memoryStore())
    // @ts-expect-error close cannot be made to fail
    chaos.fail('close')
    // @ts-expect-error operations are named, not free strings
    chaos.fail('flush')
    // @ts-expect-error an error is an Error or a factory, not a string
    chaos.fail('get', { error: 'down' })
    // @ts-expect-error delay needs its milliseconds
    chaos.delay('get')
    // @ts-expect-error on is request or reply
    chaos.delay('get', 10, { on: 'both' })
    // @ts-expect-error only getSync and lock can be hidden
    chaosStore(memoryStore(), { hide: ['get'] })
    // @ts-expect-error calls is read-only
    chaos.calls.get = 3
  })
})
