/**
 * Type tests of the push API of `@open-bridge/wechat-fetchers` (message encryption, the push XML reader) and of the
 * fake's push sender. Checked by tsc (vitest typecheck), never executed.
 */
import { parse as parseQueryString } from 'node:querystring'
import {
  isWechatError,
  messageCrypto,
  parsePushXml,
  type DecryptedPush,
  type MessageCrypto,
  type MessageCryptoOptions,
  type PushQuery,
  type PushXml,
  type PushXmlElement,
  type ReplyOptions,
  type WechatErrorCode,
} from '@open-bridge/wechat-fetchers'
import {
  pushSender,
  type PushFormat,
  type PushReply,
  type PushSender,
  type SentPush,
  type UrlCheck,
} from '@open-bridge/wechat-fetchers/testing'
import { describe, expectTypeOf, test } from 'vitest'

declare const caught: unknown
const options = { token: 't', encodingAESKey: 'k', receiveId: 'wx1' } satisfies MessageCryptoOptions

describe('messageCrypto', () => {
  test('options: three required strings, three optional knobs', () => {
    expectTypeOf(messageCrypto(options)).toEqualTypeOf<MessageCrypto>()
    expectTypeOf(messageCrypto).toBeCallableWith({
      ...options,
      timestampToleranceSeconds: false,
      maxBodyBytes: 65_536,
      now: () => 0,
    })
    expectTypeOf<MessageCryptoOptions['timestampToleranceSeconds']>().toEqualTypeOf<number | false | undefined>()
    // @ts-expect-error the receive id is required (it is checked in every message)
    messageCrypto({ token: 't', encodingAESKey: 'k' })
    // @ts-expect-error the option is spelt encodingAESKey, as on the platform
    messageCrypto({ token: 't', encodingAesKey: 'k', receiveId: 'wx1' })
    // @ts-expect-error `true` is not a tolerance
    messageCrypto({ ...options, timestampToleranceSeconds: true })
  })

  test('decryptPush takes URLSearchParams or a parsed query, and a string or bytes', () => {
    const crypto = messageCrypto(options)
    expectTypeOf(crypto.decryptPush(new URLSearchParams(), '<xml/>')).toEqualTypeOf<DecryptedPush>()
    expectTypeOf(crypto.decryptPush).toBeCallableWith(parseQueryString('a=1'), Buffer.from(''))
    expectTypeOf(crypto.decryptPush).toBeCallableWith({ msg_signature: 's', timestamp: '1', nonce: 'n' }, '')
    expectTypeOf(parseQueryString('a=1')).toExtend<PushQuery>()
    // @ts-expect-error a body is text or bytes, not parsed XML
    crypto.decryptPush(new URLSearchParams(), { Encrypt: 'x' })
    // @ts-expect-error query values are strings
    crypto.decryptPush({ timestamp: 1 }, '')
  })

  test('what a decrypted push holds', () => {
    expectTypeOf<DecryptedPush['fields']>().toEqualTypeOf<Readonly<Record<string, string>>>()
    expectTypeOf<DecryptedPush['envelope']>().toEqualTypeOf<Readonly<Record<string, string>>>()
    expectTypeOf<DecryptedPush['message']>().toEqualTypeOf<string>()
    expectTypeOf<DecryptedPush['timestamp']>().toEqualTypeOf<number>()
    expectTypeOf<DecryptedPush['id']>().toEqualTypeOf<string>()
    expectTypeOf<DecryptedPush['root']>().toEqualTypeOf<PushXmlElement>()
  })

  test('verifyUrl answers the echo; encryptReply the reply XML', () => {
    const crypto = messageCrypto(options)
    expectTypeOf(crypto.verifyUrl(new URLSearchParams())).toEqualTypeOf<string>()
    expectTypeOf(crypto.encryptReply('<xml/>')).toEqualTypeOf<string>()
    expectTypeOf(crypto.encryptReply).toBeCallableWith('<xml/>', { timestamp: 1, nonce: 'n' })
    expectTypeOf(crypto.encryptReply).toBeCallableWith('<xml/>', { timestamp: '1700000000' })
    expectTypeOf<ReplyOptions>().toEqualTypeOf<{ timestamp?: number | string; nonce?: string }>()
    expectTypeOf(crypto.receiveId).toEqualTypeOf<string>()
  })

  test('the crypto object exposes no token, key or cipher', () => {
    expectTypeOf<keyof MessageCrypto>().toEqualTypeOf<'receiveId' | 'decryptPush' | 'verifyUrl' | 'encryptReply'>()
  })

  test('the push error codes are WechatErrorCodes', () => {
    expectTypeOf<
      'E_PUSH_SIGNATURE' | 'E_PUSH_STALE' | 'E_PUSH_DECRYPT' | 'E_PUSH_RECEIVE_ID' | 'E_PUSH_TOO_LARGE' | 'E_PUSH_XML'
    >().toExtend<WechatErrorCode>()
    expectTypeOf<'E_INVALID_CONFIG'>().toExtend<WechatErrorCode>()
    if (isWechatError(caught, 'E_PUSH_SIGNATURE')) expectTypeOf(caught.field).toEqualTypeOf<string | undefined>()
    // @ts-expect-error not a code
    isWechatError(caught, 'E_PUSH_BAD')
  })
})

describe('parsePushXml', () => {
  test('text and bounds in, fields and a tree out', () => {
    expectTypeOf(parsePushXml('<xml/>')).toEqualTypeOf<PushXml>()
    expectTypeOf(parsePushXml).toBeCallableWith('<xml/>', { maxBytes: 1024, maxDepth: 4 })
    expectTypeOf<PushXml['fields']>().toEqualTypeOf<Readonly<Record<string, string>>>()
    expectTypeOf<PushXmlElement['children']>().toEqualTypeOf<readonly PushXmlElement[]>()
    // @ts-expect-error bytes are decoded by the caller
    parsePushXml(Buffer.from('<xml/>'))
    // @ts-expect-error no option to allow a DOCTYPE
    parsePushXml('<xml/>', { allowDoctype: true })
  })
})

describe('pushSender (testing)', () => {
  test('options and calls', () => {
    expectTypeOf(pushSender(options)).toEqualTypeOf<PushSender>()
    expectTypeOf(pushSender).toBeCallableWith({ ...options, format: 'wecom', agentId: '1000002', timeoutMs: 5000 })
    expectTypeOf<PushFormat>().toEqualTypeOf<'open-platform' | 'wecom'>()
    const sender = pushSender(options)
    expectTypeOf(sender.send('http://127.0.0.1/events', '<xml/>')).toEqualTypeOf<Promise<SentPush>>()
    expectTypeOf(sender.send).toBeCallableWith(new URL('http://127.0.0.1/'), '<xml/>', { timestamp: 1, nonce: 'n' })
    expectTypeOf(sender.verifyUrl('http://127.0.0.1/')).toEqualTypeOf<Promise<UrlCheck>>()
    expectTypeOf<SentPush['resend']>().toEqualTypeOf<() => Promise<PushReply>>()
    expectTypeOf<PushReply['message']>().toEqualTypeOf<string | undefined>()
    // @ts-expect-error not a push format
    pushSender({ ...options, format: 'official-account' })
    // @ts-expect-error the message is the plaintext XML string
    void sender.send('http://127.0.0.1/', { InfoType: 'x' })
  })
})
