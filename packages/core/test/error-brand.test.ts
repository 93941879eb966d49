import { inspect } from 'node:util'
import { BridgeError, errorBrand, isBridgeError } from '@open-bridge/core'
import { describe, expect, it } from 'vitest'

describe('errorBrand', () => {
  it('recognises a marked error, with and without a code, and nothing else', () => {
    const brand = errorBrand('test-brand-a')
    const error = new BridgeError('E_CLOSED', 'closed')
    brand.mark(error)
    expect(brand.has(error)).toBe(true)
    expect(brand.has(error, 'E_CLOSED')).toBe(true)
    expect(brand.has(error, 'E_INVALID_KEY')).toBe(false)
    expect(brand.has(new BridgeError('E_CLOSED', 'closed'))).toBe(false)
    for (const value of [undefined, null, 'E_CLOSED', 42, { code: 'E_CLOSED', name: 'BridgeError' }]) {
      expect(brand.has(value)).toBe(false)
    }
  })

  it('is one brand per name across every copy (Symbol.for), and two names are two brands', () => {
    const error = new Error('x')
    errorBrand('test-brand-b').mark(error)
    expect(errorBrand('test-brand-b').has(error)).toBe(true)
    expect(errorBrand('test-brand-c').has(error)).toBe(false)
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for('open-bridge.test-brand-b')]).toBe(true)
  })

  it('leaves inspect, JSON and the enumerable keys as they were', () => {
    const plain = new BridgeError('E_CLOSED', 'closed', { field: 'f' })
    const marked = new BridgeError('E_CLOSED', 'closed', { field: 'f' })
    errorBrand('test-brand-d').mark(marked)
    expect(Object.keys(marked)).toEqual(Object.keys(plain))
    expect(JSON.stringify(marked)).toBe(JSON.stringify(plain))
    expect(inspect(marked).replace(marked.stack ?? '', '')).toBe(inspect(plain).replace(plain.stack ?? '', ''))
  })

  it('is what BridgeError and isBridgeError read (the core brand is open-bridge.error)', () => {
    const lookalike = new Error('not ours')
    expect(isBridgeError(lookalike)).toBe(false)
    errorBrand('error').mark(lookalike)
    expect(isBridgeError(lookalike)).toBe(true)
    expect(lookalike instanceof BridgeError).toBe(true)
  })
})
