import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SIGNATURE_HEADERS, isRemoteError, signRequest } from '../src/index.js'

describe('signRequest (the one home of the signing rule)', () => {
  it('v2 (the default) is HMAC-SHA256 of "OB2\\naudience\\ntimestamp\\nnonce\\nMETHOD\\npath\\nbody", with the version header', () => {
    const secret = 'remote-signing-secret-0123'
    const body = '{"appid":"wx1","platform":"weixin-mp"}'
    const fixed = { timestamp: 1_700_000_000, nonce: 'nonce-0123456789' }
    const headers = signRequest({
      secret,
      method: 'post',
      path: '/getAccessToken?x=1',
      body,
      audience: 'Bridge.Internal:8787',
      ...fixed,
    })
    const expected = createHmac('sha256', secret)
      .update(`OB2\nbridge.internal:8787\n1700000000\nnonce-0123456789\nPOST\n/getAccessToken?x=1\n${body}`)
      .digest('hex')
    expect(headers).toEqual({
      [SIGNATURE_HEADERS.timestamp]: '1700000000',
      [SIGNATURE_HEADERS.nonce]: 'nonce-0123456789',
      [SIGNATURE_HEADERS.signature]: expected,
      [SIGNATURE_HEADERS.version]: '2',
    })
    // Another audience, another signature: a request signed for one centre is no good at another.
    const other = signRequest({ secret, method: 'POST', path: '/getAccessToken?x=1', body, audience: 'b:1', ...fixed })
    expect(other[SIGNATURE_HEADERS.signature]).not.toBe(expected)
  })

  it('v1 (version: 1) is HMAC-SHA256 of "timestamp\\nnonce\\nMETHOD\\npath\\nbody", lowercase hex', () => {
    const secret = 'remote-signing-secret-0123'
    const body = '{"appid":"wx1","platform":"weixin-mp"}'
    const fixed = { timestamp: 1_700_000_000, nonce: 'nonce-0123456789', version: 1 as const }
    const headers = signRequest({ secret, method: 'post', path: '/getAccessToken?x=1', body, ...fixed })
    const expected = createHmac('sha256', secret)
      .update(`1700000000\nnonce-0123456789\nPOST\n/getAccessToken?x=1\n${body}`)
      .digest('hex')
    expect(headers).toEqual({
      [SIGNATURE_HEADERS.timestamp]: '1700000000',
      [SIGNATURE_HEADERS.nonce]: 'nonce-0123456789',
      [SIGNATURE_HEADERS.signature]: expected,
    })
    // Bytes sign as the same text; a fresh nonce each call by default.
    expect(
      signRequest({ secret, method: 'POST', path: '/getAccessToken?x=1', body: Buffer.from(body), ...fixed }),
    ).toEqual(headers)
    const a = signRequest({ secret, method: 'POST', path: '/p', audience: 'h' })
    const b = signRequest({ secret, method: 'POST', path: '/p', audience: 'h' })
    expect(a[SIGNATURE_HEADERS.nonce]).not.toBe(b[SIGNATURE_HEADERS.nonce])
  })

  it.each([
    [{ secret: '' }, 'secret'],
    [{ method: 'PO ST' }, 'method'],
    [{ path: 'getAccessToken' }, 'path'],
    [{ body: { a: 1 } }, 'body'],
    [{ timestamp: -1 }, 'timestamp'],
    [{ nonce: 'short' }, 'nonce'],
    [{ audience: undefined }, 'audience'],
    [{ audience: 'two words' }, 'audience'],
    [{ audience: 'h\nx' }, 'audience'],
    [{ version: 3 }, 'version'],
  ])('refuses %j with E_INVALID_ARGUMENT naming %s, without the secret', (patch, field) => {
    const secret = 'never-in-a-message-0123'
    try {
      signRequest({ secret, method: 'POST', path: '/p', audience: 'h:1', ...patch } as Parameters<
        typeof signRequest
      >[0])
      expect.unreachable()
    } catch (error) {
      expect(isRemoteError(error, 'E_INVALID_ARGUMENT')).toBe(true)
      expect((error as { field: string }).field).toBe(field)
      expect(JSON.stringify(error)).not.toContain(secret)
    }
  })
})
