/**
 * Type tests of `@open-bridge/remote`: `remoteBridge` options and result, request signing, errors.
 * Checked by tsc (vitest typecheck), never executed.
 */
import {
  createBridge,
  memoryStore,
  type AccessTokenValue,
  type CredentialBridge,
  type CredentialSource,
} from '@open-bridge/core'
import {
  type EXPIRES_IN_HEADER,
  RemoteError,
  SIGNATURE_HEADERS,
  isRemoteError,
  remoteBridge,
  signRequest,
  type RemoteBridgeOptions,
  type RemoteErrorCode,
  type SignatureHeaders,
} from '@open-bridge/remote'
import { Agent } from 'undici'
import { describe, expectTypeOf, test } from 'vitest'

declare const caught: unknown

describe('remoteBridge', () => {
  test('is a source: a bridge over it has every credential method of a local bridge', () => {
    const source = remoteBridge({ url: 'http://127.0.0.1:8787', secret: 'a-signing-secret-of-16+' })
    expectTypeOf(source).toEqualTypeOf<CredentialSource>()
    const bridge = createBridge({ stores: [memoryStore({ maxTtl: 60_000 })], source })
    expectTypeOf(bridge).toEqualTypeOf<CredentialBridge>()
    expectTypeOf(
      bridge.getAccessToken({ dcloudAppid: 'd', platform: 'weixin-mp' }),
    ).resolves.toEqualTypeOf<AccessTokenValue | null>()
  })

  test('options: url is required, the rest typed', () => {
    expectTypeOf(remoteBridge).toBeCallableWith({
      url: 'http://bridge.internal:8080/prefix',
      secret: 'a-signing-secret-of-16+',
      dispatcher: new Agent(),
      timeout: 10_000,
      defaultExpiresIn: 60,
    })
    expectTypeOf<RemoteBridgeOptions['url']>().toEqualTypeOf<string>()
    // @ts-expect-error url is required
    remoteBridge({ secret: 'a-signing-secret-of-16+' })
    // @ts-expect-error url is a string
    remoteBridge({ url: new URL('http://127.0.0.1') })
    // @ts-expect-error timeout is a number of ms
    remoteBridge({ url: 'http://127.0.0.1', timeout: '10s' })
    // @ts-expect-error no such option (the secret is `secret`)
    remoteBridge({ url: 'http://127.0.0.1', signingSecret: 'a-signing-secret-of-16+' })
  })
})

describe('signing', () => {
  test('signRequest returns the signature headers (the version header absent on a v1 signature)', () => {
    const headers = signRequest({ secret: 's', method: 'POST', path: '/getAccessToken', body: '{}', audience: 'h:1' })
    expectTypeOf(headers).toEqualTypeOf<SignatureHeaders>()
    expectTypeOf(headers).toEqualTypeOf<{
      'x-ob-timestamp': string
      'x-ob-nonce': string
      'x-ob-signature': string
      'x-ob-signature-version'?: string
    }>()
    expectTypeOf(SIGNATURE_HEADERS.signature).toEqualTypeOf<'x-ob-signature'>()
    expectTypeOf<typeof EXPIRES_IN_HEADER>().toEqualTypeOf<'x-ob-expires-in'>()
  })

  test('what is signed is typed', () => {
    expectTypeOf(signRequest).toBeCallableWith({
      secret: 's',
      method: 'POST',
      path: '/getTicket',
      body: new Uint8Array(),
      timestamp: 1,
      nonce: 'abcdefgh',
      audience: 'bridge.internal:8787',
      version: 2,
    })
    // @ts-expect-error the signing rule is 1 or 2
    signRequest({ secret: 's', method: 'POST', path: '/', audience: 'h', version: 3 })
    // @ts-expect-error the secret is required
    signRequest({ method: 'POST', path: '/' })
    // @ts-expect-error the body is the text or bytes sent, not an object to serialise
    signRequest({ secret: 's', method: 'POST', path: '/', body: { a: 1 } })
    // @ts-expect-error timestamp is Unix seconds
    signRequest({ secret: 's', method: 'POST', path: '/', timestamp: new Date() })
  })
})

describe('RemoteError', () => {
  test('code is a RemoteErrorCode or a code the centre answered', () => {
    expectTypeOf<RemoteErrorCode>().toEqualTypeOf<
      | 'E_INVALID_ARGUMENT'
      | 'E_REMOTE_UNAVAILABLE'
      | 'E_REMOTE_UNAUTHORIZED'
      | 'E_REMOTE_PROTOCOL'
      | 'E_REMOTE_TOO_LARGE'
    >()
    expectTypeOf<RemoteError['code']>().toExtend<string>()
    expectTypeOf<RemoteErrorCode>().toExtend<RemoteError['code']>()
    expectTypeOf<RemoteError['status']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<RemoteError['platformErrcode']>().toEqualTypeOf<number | undefined>()
  })

  test('isRemoteError and instanceof narrow', () => {
    if (isRemoteError(caught, 'E_REMOTE_UNAUTHORIZED')) expectTypeOf(caught).toEqualTypeOf<RemoteError>()
    if (caught instanceof RemoteError) expectTypeOf(caught.route).toEqualTypeOf<string | undefined>()
    // @ts-expect-error the options are BridgeError's and the HTTP details
    void new RemoteError('E_REMOTE_PROTOCOL', 'x', { body: '<html>' })
  })
})
