import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { parse as parseQueryString } from 'node:querystring'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { isWechatError, messageCrypto, type MessageCryptoOptions } from '@open-bridge/wechat-fetchers'
import { msgSignature } from '../src/push/message-signature.js'
import { PushCipher } from '../src/push/push-cipher.js'
import { OFFICIAL_ACCOUNT_SAMPLE, OPEN_PLATFORM, WECOM, WECOM_PYTHON_SAMPLE } from './push-vectors.js'

const at = (seconds: string | number) => () => Number(seconds) * 1000
const opCrypto = (options: Partial<MessageCryptoOptions> = {}) =>
  messageCrypto({
    token: OPEN_PLATFORM.token,
    encodingAESKey: OPEN_PLATFORM.encodingAESKey,
    receiveId: OPEN_PLATFORM.receiveId,
    now: at(OPEN_PLATFORM.push.timestamp),
    ...options,
  })
const wecomCrypto = (options: Partial<MessageCryptoOptions> = {}) =>
  messageCrypto({
    token: WECOM.token,
    encodingAESKey: WECOM.encodingAESKey,
    receiveId: WECOM.receiveId,
    timestampToleranceSeconds: false,
    ...options,
  })
const opBody = (encrypt: string = OPEN_PLATFORM.push.encrypt) =>
  `<xml>\n    <ToUserName><![CDATA[${OPEN_PLATFORM.push.toUserName}]]></ToUserName>\n    <Encrypt><![CDATA[${encrypt}]]></Encrypt>\n</xml>`
const wecomBody = (encrypt: string = WECOM.message.encrypt) =>
  `<xml><ToUserName><![CDATA[${WECOM.receiveId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[${WECOM.message.agentId}]]></AgentID></xml>`
/** A query for `encrypt` signed with `token` (default: the Open Platform vector's). */
const signedQuery = (encrypt: string, token: string = OPEN_PLATFORM.token, timestamp = OPEN_PLATFORM.push.timestamp) =>
  new URLSearchParams({
    timestamp,
    nonce: OPEN_PLATFORM.push.nonce,
    encrypt_type: 'aes',
    msg_signature: msgSignature(token, timestamp, OPEN_PLATFORM.push.nonce, encrypt),
  })

/** The error `run` throws (fails the test when it throws none). */
function thrown(run: () => unknown): Error & { code?: string; field?: string } {
  try {
    run()
  } catch (error) {
    return error as Error & { code?: string; field?: string }
  }
  throw new Error('expected an error')
}

/** Everything an error could show: message, stack, JSON, inspect (hidden fields too), and its causes. */
function everythingShown(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 20, showHidden: true }), JSON.stringify(error)]
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, e.stack ?? '')
  return parts.join('\n')
}

/** The raw pad byte of a ciphertext (decrypted without Node's padding), to prove which pad a test exercises. */
function padOf(encodingAESKey: string, encrypt: string): number {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64')
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()])
  return plain[plain.length - 1]!
}

describe('published vectors', () => {
  it("the Open Platform page's push: msg_signature verifies, Encrypt decrypts to the page's XML (22-byte pad)", () => {
    const { push } = OPEN_PLATFORM
    expect(msgSignature(OPEN_PLATFORM.token, push.timestamp, push.nonce, push.encrypt)).toBe(push.msgSignature)
    expect(padOf(OPEN_PLATFORM.encodingAESKey, push.encrypt)).toBe(22)
    const decrypted = opCrypto().decryptPush(new URLSearchParams(push.query), opBody())
    expect(decrypted.message).toBe(push.message)
    expect({ ...decrypted.fields }).toEqual({
      ToUserName: 'gh_97417a04a28d',
      FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
      CreateTime: '1715943329',
      MsgType: 'event',
      Event: 'debug_demo',
      debug_str: 'hello world',
    })
    expect({ ...decrypted.envelope }).toEqual({ ToUserName: 'gh_97417a04a28d' })
    expect(decrypted.timestamp).toBe(1715943329)
    expect(decrypted.nonce).toBe('1590219412')
    expect(decrypted.root.name).toBe('xml')
  })

  it("the Open Platform page's reply: the page's random reproduces its Encrypt and MsgSignature", () => {
    const { reply } = OPEN_PLATFORM
    const cipher = new PushCipher(Buffer.from(`${OPEN_PLATFORM.encodingAESKey}=`, 'base64'), OPEN_PLATFORM.receiveId)
    const encrypted = cipher.encrypt(reply.message, Buffer.from(reply.random, 'latin1'))
    expect(encrypted).toBe(reply.encrypt)
    expect(msgSignature(OPEN_PLATFORM.token, reply.timestamp, reply.nonce, encrypted)).toBe(reply.msgSignature)
    expect(cipher.decrypt(reply.encrypt, 'Encrypt')).toBe(reply.message)
  })

  it("WeCom's sample URL check: verifies and echoes 1616140317555161061 (query as the sample shows it)", () => {
    const crypto = wecomCrypto({ timestampToleranceSeconds: 300, now: at(WECOM.urlCheck.timestamp) })
    expect(crypto.verifyUrl(new URLSearchParams(WECOM.urlCheck.query))).toBe(WECOM.urlCheck.echo)
    // Node's querystring and a framework that decodes '+' as a space read the same GET.
    expect(crypto.verifyUrl(parseQueryString(WECOM.urlCheck.query))).toBe(WECOM.urlCheck.echo)
    const spaced = WECOM.urlCheck.query.replaceAll('%2B', '+')
    expect(new URLSearchParams(spaced).get('echostr')).toContain(' ')
    expect(crypto.verifyUrl(new URLSearchParams(spaced))).toBe(WECOM.urlCheck.echo)
  })

  it("WeCom's sample message: verifies and decrypts, a 30-byte pad stripped by hand", () => {
    const { message } = WECOM
    expect(padOf(WECOM.encodingAESKey, message.encrypt)).toBe(30)
    const decrypted = wecomCrypto().decryptPush(new URLSearchParams(message.query), wecomBody())
    expect(decrypted.message).toBe(message.message)
    expect(decrypted.fields).toMatchObject({ MsgType: 'text', Content: 'hello', AgentID: '218' })
    expect({ ...decrypted.envelope }).toEqual({ ToUserName: WECOM.receiveId, AgentID: '218' })
  })

  it("why the pad is stripped by hand: Node's automatic padding refuses the 30-byte pad", () => {
    const key = Buffer.from(`${WECOM.encodingAESKey}=`, 'base64')
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16))
    expect(() =>
      Buffer.concat([decipher.update(Buffer.from(WECOM.message.encrypt, 'base64')), decipher.final()]),
    ).toThrow(/bad decrypt/)
  })

  it("WeCom's Python sample: its URL check and its multi-byte, plain-text-field message", () => {
    const v = WECOM_PYTHON_SAMPLE
    const crypto = messageCrypto({
      token: v.token,
      encodingAESKey: v.encodingAESKey,
      receiveId: v.receiveId,
      timestampToleranceSeconds: false,
    })
    const check = v.urlCheck
    expect(
      crypto.verifyUrl({
        msg_signature: check.msgSignature,
        timestamp: check.timestamp,
        nonce: check.nonce,
        echostr: check.echostr,
      }),
    ).toMatch(/^[0-9]+$/)
    const m = v.message
    const decrypted = crypto.decryptPush(
      { msg_signature: m.msgSignature, timestamp: m.timestamp, nonce: m.nonce },
      Buffer.from(m.body, 'utf8'),
    )
    expect(decrypted.fields).toMatchObject({
      ToUserName: v.receiveId,
      MsgType: 'text',
      Content: '你好',
      AgentID: '1000002',
    })
  })

  it("the official-account sample's fixed-random vector: byte lengths, not characters, for a multi-byte message", () => {
    const v = OFFICIAL_ACCOUNT_SAMPLE
    const cipher = new PushCipher(Buffer.from(`${v.encodingAESKey}=`, 'base64'), v.receiveId)
    expect(cipher.encrypt(v.message, Buffer.from(v.random, 'latin1'))).toBe(v.encrypt)
    expect(cipher.decrypt(v.encrypt, 'Encrypt')).toBe(v.message)
  })
})

describe('the 32-byte PKCS#7 pad', () => {
  const cipher = new PushCipher(Buffer.from(`${OPEN_PLATFORM.encodingAESKey}=`, 'base64'), OPEN_PLATFORM.receiveId)
  /** An XML message whose plaintext (16 + 4 + message + 18-byte appid) gets a pad of `pad` bytes. */
  const messageForPad = (pad: number) => `<xml>${'x'.repeat(((((32 - pad - 38) % 32) + 32) % 32) + 21)}</xml>`

  it.each([1, 16, 17, 30, 32])('a %i-byte pad round-trips', (pad) => {
    const message = messageForPad(pad)
    const encrypted = cipher.encrypt(message)
    expect(padOf(OPEN_PLATFORM.encodingAESKey, encrypted)).toBe(pad)
    expect(Buffer.from(encrypted, 'base64').length % 32).toBe(0)
    expect(opCrypto().decryptPush(signedQuery(encrypted), opBody(encrypted)).message).toBe(message)
  })

  it('round-trips messages of every length over two blocks, multi-byte ones too', () => {
    for (let length = 0; length < 70; length++) {
      const message = '中'.repeat(length % 3) + 'a'.repeat(length)
      expect(cipher.decrypt(cipher.encrypt(message), 'Encrypt')).toBe(message)
    }
  })

  /** A ciphertext of `plain` (already padded to whole blocks) under the Open Platform vector's key. */
  const raw = (plain: Buffer) => {
    const key = Buffer.from(`${OPEN_PLATFORM.encodingAESKey}=`, 'base64')
    const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
    return Buffer.concat([c.update(plain), c.final()]).toString('base64')
  }
  const framed = (message: string, receiveId: string = OPEN_PLATFORM.receiveId) => {
    const body = Buffer.from(message)
    const length = Buffer.alloc(4)
    length.writeUInt32BE(body.length)
    return Buffer.concat([randomBytes(16), length, body, Buffer.from(receiveId)])
  }

  it.each([
    ['a pad byte of 0', 0],
    ['a pad byte over 32', 33],
  ])('%s is refused (E_PUSH_DECRYPT)', (_name, padByte) => {
    const plain = framed('x'.repeat(32 - 38 - 1 + 64))
    const padded = Buffer.concat([plain, Buffer.from([padByte])])
    expect(padded.length % 32).toBe(0)
    const encrypted = raw(padded)
    expect(thrown(() => opCrypto().decryptPush(signedQuery(encrypted), opBody(encrypted)))).toMatchObject({
      code: 'E_PUSH_DECRYPT',
      field: 'Encrypt',
    })
  })

  it('a pad whose bytes disagree is refused', () => {
    const plain = framed('x'.repeat(20))
    const pad = 32 - (plain.length % 32)
    const padding = Buffer.alloc(pad, pad)
    padding[0] = pad - 1
    const encrypted = raw(Buffer.concat([plain, padding]))
    expect(thrown(() => opCrypto().decryptPush(signedQuery(encrypted), opBody(encrypted)))).toMatchObject({
      code: 'E_PUSH_DECRYPT',
    })
  })

  it('a length field running past the end is refused', () => {
    const plain = framed('short')
    plain.writeUInt32BE(10_000, 16)
    const pad = 32 - (plain.length % 32)
    const encrypted = raw(Buffer.concat([plain, Buffer.alloc(pad, pad)]))
    expect(thrown(() => opCrypto().decryptPush(signedQuery(encrypted), opBody(encrypted)))).toMatchObject({
      code: 'E_PUSH_DECRYPT',
    })
  })

  it('a message that is not UTF-8 is refused', () => {
    const plain = framed('ab')
    plain[20] = 0xff
    const pad = 32 - (plain.length % 32)
    const encrypted = raw(Buffer.concat([plain, Buffer.alloc(pad, pad)]))
    expect(thrown(() => opCrypto().decryptPush(signedQuery(encrypted), opBody(encrypted)))).toMatchObject({
      code: 'E_PUSH_DECRYPT',
    })
  })

  it('a plaintext too short for its header is refused', () => {
    const encrypted = raw(Buffer.concat([randomBytes(16), Buffer.alloc(16, 16)]))
    expect(thrown(() => opCrypto().decryptPush(signedQuery(encrypted), opBody(encrypted)))).toMatchObject({
      code: 'E_PUSH_DECRYPT',
    })
  })
})

describe('tampering and misdelivery', () => {
  const { push } = OPEN_PLATFORM
  const query = () => new URLSearchParams(push.query)

  it('a tampered msg_signature is refused (E_PUSH_SIGNATURE), any one hex digit', () => {
    for (const position of [0, 17, 39]) {
      const q = query()
      const digit = push.msgSignature[position] === '0' ? '1' : '0'
      q.set('msg_signature', push.msgSignature.slice(0, position) + digit + push.msgSignature.slice(position + 1))
      expect(thrown(() => opCrypto().decryptPush(q, opBody()))).toMatchObject({
        code: 'E_PUSH_SIGNATURE',
        field: 'msg_signature',
      })
    }
  })

  it('the signature in upper case is the same signature', () => {
    const q = query()
    q.set('msg_signature', push.msgSignature.toUpperCase())
    expect(opCrypto().decryptPush(q, opBody()).message).toBe(push.message)
  })

  it('a changed timestamp, nonce or Encrypt no longer matches the signature', () => {
    const timestamp = query()
    timestamp.set('timestamp', String(Number(push.timestamp) + 1))
    const nonce = query()
    nonce.set('nonce', '1590219413')
    const flipped = `${push.encrypt.slice(0, 10)}${push.encrypt[10] === 'A' ? 'B' : 'A'}${push.encrypt.slice(11)}`
    for (const [q, body] of [
      [timestamp, opBody()],
      [nonce, opBody()],
      [query(), opBody(flipped)],
    ] as const)
      expect(thrown(() => opCrypto().decryptPush(q, body))).toMatchObject({ code: 'E_PUSH_SIGNATURE' })
  })

  it('another token is refused', () => {
    expect(thrown(() => opCrypto({ token: 'BBBBB' }).decryptPush(query(), opBody()))).toMatchObject({
      code: 'E_PUSH_SIGNATURE',
    })
  })

  it('the plain `signature` is never enough: without msg_signature the push is refused', () => {
    const q = query()
    q.delete('msg_signature')
    expect(q.get('signature')).not.toBeNull()
    expect(thrown(() => opCrypto().decryptPush(q, opBody()))).toMatchObject({
      code: 'E_PUSH_SIGNATURE',
      field: 'msg_signature',
    })
  })

  it.each(['timestamp', 'nonce', 'msg_signature'])('a missing, empty or repeated %s is refused', (name) => {
    const missing = query()
    missing.delete(name)
    const empty = query()
    empty.set(name, '')
    const repeated = query()
    repeated.append(name, repeated.get(name)!)
    const record = { ...Object.fromEntries(query()), [name]: [query().get(name)!, query().get(name)!] }
    for (const q of [missing, empty, repeated, record])
      expect(thrown(() => opCrypto().decryptPush(q, opBody()))).toMatchObject({ code: 'E_PUSH_SIGNATURE', field: name })
  })

  it('a timestamp that is not Unix seconds is refused before anything is hashed', () => {
    const q = query()
    q.set('timestamp', '17159433.9')
    expect(thrown(() => opCrypto().decryptPush(q, opBody()))).toMatchObject({
      code: 'E_PUSH_SIGNATURE',
      field: 'timestamp',
    })
  })

  it('a push for another receiver is refused (E_PUSH_RECEIVE_ID), a prefix or an extension of the id too', () => {
    for (const receiveId of ['wx0000000000000000', 'wx134c8103faa5a59', 'wx134c8103faa5a59ee', 'x134c8103faa5a59e'])
      expect(thrown(() => opCrypto({ receiveId }).decryptPush(query(), opBody()))).toMatchObject({
        code: 'E_PUSH_RECEIVE_ID',
        field: 'Encrypt',
      })
  })

  it("WeCom: a suite's crypto refuses the corp's callback (receive id is the suite id there)", () => {
    const crypto = wecomCrypto({ receiveId: 'ww0000000000suite' })
    expect(thrown(() => crypto.decryptPush(new URLSearchParams(WECOM.message.query), wecomBody()))).toMatchObject({
      code: 'E_PUSH_RECEIVE_ID',
    })
    expect(thrown(() => crypto.verifyUrl(new URLSearchParams(WECOM.urlCheck.query)))).toMatchObject({
      code: 'E_PUSH_RECEIVE_ID',
      field: 'echostr',
    })
  })

  it('another EncodingAESKey (the same token) fails to decrypt: E_PUSH_DECRYPT, never garbage', () => {
    const crypto = opCrypto({ encodingAESKey: 'B'.repeat(43) })
    expect(thrown(() => crypto.decryptPush(query(), opBody()))).toMatchObject({ code: 'E_PUSH_DECRYPT' })
  })

  it('a truncated ciphertext is refused: cut mid-block, or by whole blocks and signed again', () => {
    const cut = push.encrypt.slice(0, -4)
    expect(thrown(() => opCrypto().decryptPush(signedQuery(cut), opBody(cut)))).toMatchObject({
      code: 'E_PUSH_DECRYPT',
    })
    const bytes = Buffer.from(push.encrypt, 'base64')
    for (const drop of [16, 32, 320]) {
      const shorter = bytes.subarray(0, bytes.length - drop).toString('base64')
      expect(thrown(() => opCrypto().decryptPush(signedQuery(shorter), opBody(shorter)))).toMatchObject({
        code: 'E_PUSH_DECRYPT',
      })
    }
    // Cut unsigned, it never reaches the cipher.
    expect(thrown(() => opCrypto().decryptPush(query(), opBody(cut)))).toMatchObject({ code: 'E_PUSH_SIGNATURE' })
  })

  it('an Encrypt that is not base64 is refused (Node would silently skip the bad characters)', () => {
    const bad = `${push.encrypt.slice(0, 8)}!!!!${push.encrypt.slice(12)}`
    expect(thrown(() => opCrypto().decryptPush(signedQuery(bad), opBody(bad)))).toMatchObject({
      code: 'E_PUSH_DECRYPT',
    })
  })
})

describe('freshness and replays', () => {
  const { push } = OPEN_PLATFORM
  const query = () => new URLSearchParams(push.query)

  it('a verified push older than the tolerance is E_PUSH_STALE; one ahead of the clock too', () => {
    const late = thrown(() => opCrypto({ now: at(Number(push.timestamp) + 301) }).decryptPush(query(), opBody()))
    expect(late).toMatchObject({ code: 'E_PUSH_STALE', field: 'timestamp' })
    expect(late.message).toContain('301 s behind')
    const early = thrown(() => opCrypto({ now: at(Number(push.timestamp) - 400) }).decryptPush(query(), opBody()))
    expect(early.message).toContain('400 s ahead of')
    expect(opCrypto({ now: at(Number(push.timestamp) + 300) }).decryptPush(query(), opBody()).message).toBe(
      push.message,
    )
  })

  it('the default tolerance is 300 s of the real clock; false turns the check off', () => {
    expect(thrown(() => opCrypto({ now: undefined }).decryptPush(query(), opBody()))).toMatchObject({
      code: 'E_PUSH_STALE',
    })
    const off = opCrypto({ now: undefined, timestampToleranceSeconds: false })
    expect(off.decryptPush(query(), opBody()).message).toBe(push.message)
  })

  it('the signature is checked before the timestamp: a stale forgery is a bad signature, not a stale push', () => {
    const q = query()
    q.set('msg_signature', '0'.repeat(40))
    expect(thrown(() => opCrypto({ now: at(0) }).decryptPush(q, opBody()))).toMatchObject({ code: 'E_PUSH_SIGNATURE' })
  })

  it('a replay within the tolerance decrypts again, with the same id; another push has another id', () => {
    // The crypto layer is stateless: it cannot tell WeChat's retry from a replay (both are the same bytes).
    // It bounds replays in time and gives each push an id for the receiver's duplicate check.
    const crypto = opCrypto()
    const first = crypto.decryptPush(query(), opBody())
    const again = crypto.decryptPush(query(), opBody())
    expect(again.message).toBe(first.message)
    expect(again.id).toBe(first.id)
    expect(first.id).toMatch(/^[0-9a-f]{32}$/)
    expect(first.id).not.toContain(push.msgSignature.slice(0, 8))
    const reencrypted = new PushCipher(
      Buffer.from(`${OPEN_PLATFORM.encodingAESKey}=`, 'base64'),
      OPEN_PLATFORM.receiveId,
    ).encrypt(push.message)
    const other = crypto.decryptPush(signedQuery(reencrypted), opBody(reencrypted))
    expect(other.message).toBe(push.message)
    expect(other.id).not.toBe(first.id)
  })
})

describe('bodies and envelopes', () => {
  const { push } = OPEN_PLATFORM
  const query = () => new URLSearchParams(push.query)

  it('a body over maxBodyBytes is E_PUSH_TOO_LARGE before it is parsed, counted in UTF-8 bytes', () => {
    const crypto = opCrypto({ maxBodyBytes: 1024 })
    expect(thrown(() => crypto.decryptPush(query(), `<xml>${'x'.repeat(1100)}</xml>`))).toMatchObject({
      code: 'E_PUSH_TOO_LARGE',
      field: 'body',
    })
    const wide = `<xml><a>${'中'.repeat(400)}</a></xml>`
    expect(wide.length).toBeLessThan(1024)
    expect(thrown(() => crypto.decryptPush(query(), wide))).toMatchObject({ code: 'E_PUSH_TOO_LARGE' })
    expect(thrown(() => crypto.decryptPush(query(), Buffer.alloc(1025, 0x20)))).toMatchObject({
      code: 'E_PUSH_TOO_LARGE',
    })
    expect(opCrypto({ maxBodyBytes: opBody().length }).decryptPush(query(), opBody()).message).toBe(push.message)
  })

  it('bytes are read as UTF-8; bytes that are not are E_PUSH_XML', () => {
    expect(opCrypto().decryptPush(query(), Buffer.from(opBody())).message).toBe(push.message)
    expect(thrown(() => opCrypto().decryptPush(query(), Buffer.from([0x3c, 0xff, 0x3e])))).toMatchObject({
      code: 'E_PUSH_XML',
      field: 'body',
    })
  })

  it('an envelope without one Encrypt is E_PUSH_XML naming Encrypt (a plaintext push, two Encrypts, an empty one)', () => {
    for (const body of [
      '<xml><ToUserName>gh_1</ToUserName><Content>hi</Content></xml>',
      `<xml><Encrypt>${push.encrypt}</Encrypt><Encrypt>${push.encrypt}</Encrypt></xml>`,
      '<xml><Encrypt></Encrypt></xml>',
      '<xml><Encrypt><a>b</a></Encrypt></xml>',
    ])
      expect(thrown(() => opCrypto().decryptPush(query(), body))).toMatchObject({
        code: 'E_PUSH_XML',
        field: 'Encrypt',
      })
  })

  it('a DOCTYPE in the body is refused before any signature work', () => {
    const body = `<!DOCTYPE xml [<!ENTITY e "x">]>${opBody()}`
    expect(thrown(() => opCrypto().decryptPush(query(), body))).toMatchObject({ code: 'E_PUSH_XML' })
  })

  it('a decrypted message that is not XML is E_PUSH_XML', () => {
    const cipher = new PushCipher(Buffer.from(`${OPEN_PLATFORM.encodingAESKey}=`, 'base64'), OPEN_PLATFORM.receiveId)
    const encrypted = cipher.encrypt('not xml at all')
    expect(thrown(() => opCrypto().decryptPush(signedQuery(encrypted), opBody(encrypted)))).toMatchObject({
      code: 'E_PUSH_XML',
    })
  })

  it('envelope fields are read but flagged as unsigned; Encrypt is not among them', () => {
    const body = `<xml><AppId><![CDATA[${OPEN_PLATFORM.receiveId}]]></AppId><Encrypt><![CDATA[${push.encrypt}]]></Encrypt></xml>`
    expect({ ...opCrypto().decryptPush(query(), body).envelope }).toEqual({ AppId: OPEN_PLATFORM.receiveId })
  })

  it('wrong argument types are E_INVALID_ARGUMENT, not a TypeError', () => {
    const crypto = opCrypto()
    expect(thrown(() => crypto.decryptPush(query(), 42 as unknown as string))).toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'body',
    })
    expect(thrown(() => crypto.decryptPush(null as unknown as URLSearchParams, opBody()))).toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'query',
    })
    expect(thrown(() => crypto.decryptPush({ timestamp: 1 } as unknown as URLSearchParams, opBody()))).toMatchObject({
      code: 'E_PUSH_SIGNATURE',
    })
    expect(thrown(() => crypto.encryptReply(undefined as unknown as string))).toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      field: 'message',
    })
  })
})

describe('encryptReply', () => {
  it('a reply WeChat can verify and decrypt: MsgSignature over its TimeStamp, Nonce and Encrypt', () => {
    const crypto = opCrypto()
    const xml = crypto.encryptReply(OPEN_PLATFORM.reply.message, {
      timestamp: OPEN_PLATFORM.reply.timestamp,
      nonce: OPEN_PLATFORM.reply.nonce,
    })
    const parts =
      /^<xml><Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt><MsgSignature><!\[CDATA\[([0-9a-f]{40})\]\]><\/MsgSignature><TimeStamp>(\d+)<\/TimeStamp><Nonce><!\[CDATA\[(\d+)\]\]><\/Nonce><\/xml>$/.exec(
        xml,
      )
    expect(parts).not.toBeNull()
    const [, encrypted, signature, timestamp, nonce] = parts!
    expect([timestamp, nonce]).toEqual([OPEN_PLATFORM.reply.timestamp, OPEN_PLATFORM.reply.nonce])
    expect(signature).toBe(msgSignature(OPEN_PLATFORM.token, timestamp!, nonce!, encrypted!))
    // Read back the way a push is read: same signature rule, same cipher.
    const back = opCrypto({ now: at(timestamp!) }).decryptPush(
      { msg_signature: signature!, timestamp: timestamp!, nonce: nonce! },
      `<xml><Encrypt>${encrypted}</Encrypt></xml>`,
    )
    expect(back.message).toBe(OPEN_PLATFORM.reply.message)
  })

  it('defaults to now and a fresh 10-digit nonce; each reply has fresh randomness', () => {
    const crypto = opCrypto()
    const one = crypto.encryptReply('<xml/>')
    const two = crypto.encryptReply('<xml/>')
    expect(one).toContain(`<TimeStamp>${OPEN_PLATFORM.push.timestamp}</TimeStamp>`)
    expect(one).toMatch(/<Nonce><!\[CDATA\[\d{10}\]\]><\/Nonce>/)
    expect(one).not.toBe(two)
  })

  it('a timestamp or nonce that could break the XML is refused', () => {
    const crypto = opCrypto()
    for (const options of [
      { timestamp: -1 },
      { timestamp: 'soon' },
      { timestamp: 1.5 },
      { nonce: ']]><x>' },
      { nonce: '' },
    ])
      expect(thrown(() => crypto.encryptReply('<xml/>', options))).toMatchObject({ code: 'E_INVALID_ARGUMENT' })
  })
})

describe('options', () => {
  const valid: MessageCryptoOptions = {
    token: OPEN_PLATFORM.token,
    encodingAESKey: OPEN_PLATFORM.encodingAESKey,
    receiveId: OPEN_PLATFORM.receiveId,
  }
  it.each([
    ['options', null],
    ['token', { ...valid, token: '' }],
    ['token', { ...valid, token: 'has space' }],
    ['token', { ...valid, token: 42 }],
    ['encodingAESKey', { ...valid, encodingAESKey: `${'A'.repeat(43)}=` }],
    ['encodingAESKey', { ...valid, encodingAESKey: 'A'.repeat(42) }],
    ['encodingAESKey', { ...valid, encodingAESKey: `${'A'.repeat(42)}-` }],
    ['encodingAESKey', { ...valid, encodingAESKey: undefined }],
    ['receiveId', { ...valid, receiveId: '' }],
    ['receiveId', { ...valid, receiveId: 'wx 1' }],
    ['receiveId', { ...valid, receiveId: 'wx]]>1' }],
    ['timestampToleranceSeconds', { ...valid, timestampToleranceSeconds: 0 }],
    ['timestampToleranceSeconds', { ...valid, timestampToleranceSeconds: Number.NaN }],
    ['timestampToleranceSeconds', { ...valid, timestampToleranceSeconds: '300' }],
    ['timestampToleranceSeconds', { ...valid, timestampToleranceSeconds: true }],
    ['maxBodyBytes', { ...valid, maxBodyBytes: 0 }],
    ['maxBodyBytes', { ...valid, maxBodyBytes: 1.5 }],
    ['now', { ...valid, now: 5 }],
    ['encodingAesKey', { ...valid, encodingAesKey: 'x' }],
  ])('%s: E_INVALID_CONFIG naming it', (field, options) => {
    const error = thrown(() => messageCrypto(options as MessageCryptoOptions))
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', field })
    expect(isWechatError(error, 'E_INVALID_CONFIG')).toBe(true)
  })

  it('a misspelt encodingAESKey is named and the right spelling suggested', () => {
    expect(thrown(() => messageCrypto({ ...valid, aes_key: 'x' } as MessageCryptoOptions)).message).toContain(
      'did you mean encodingAESKey',
    )
  })

  it('the crypto object shows only its receive id', () => {
    const secretToken = 'tok3nNeverShown'
    const key = randomBytes(32).toString('base64').slice(0, 43)
    const crypto = messageCrypto({ token: secretToken, encodingAESKey: key, receiveId: 'wx1' })
    const shown = inspect(crypto, { depth: 20, showHidden: true }) + JSON.stringify(crypto)
    expect(shown).toContain('wx1')
    expect(shown).not.toContain(secretToken)
    expect(shown).not.toContain(key)
    expect(Object.isFrozen(crypto)).toBe(true)
  })
})

describe('secrets stay secret', () => {
  it('no error shows the token, the key, the body, the ciphertext, the plaintext or a signature', () => {
    const token = 'TOKEN9f8e7d6c5b'
    const encodingAESKey = randomBytes(32).toString('base64').replaceAll('=', '').slice(0, 43)
    const receiveId = 'wxfeedfacecafe0001'
    const secretText = 'PLAINTEXT-4c1d-TICKET'
    const crypto = messageCrypto({ token, encodingAESKey, receiveId, now: at(1_700_000_000), maxBodyBytes: 4096 })
    const cipher = new PushCipher(Buffer.from(`${encodingAESKey}=`, 'base64'), receiveId)
    const message = `<xml><ComponentVerifyTicket>${secretText}</ComponentVerifyTicket></xml>`
    const encrypted = cipher.encrypt(message)
    const sign = (value: string, timestamp = '1700000000') => msgSignature(token, timestamp, '123', value)
    const q = (value: string, timestamp = '1700000000', signature = sign(value, timestamp)) =>
      new URLSearchParams({ timestamp, nonce: '123', msg_signature: signature })
    const body = (value: string) => `<xml><AppId>wx1</AppId><Encrypt>${value}</Encrypt></xml>`
    const otherReceiver = new PushCipher(Buffer.from(`${encodingAESKey}=`, 'base64'), 'wxother').encrypt(message)
    const notXml = cipher.encrypt(`not xml ${secretText}`)
    const truncated = Buffer.from(encrypted, 'base64').subarray(0, 32).toString('base64')
    const tampered = '0'.repeat(40)

    const errors = [
      thrown(() => crypto.decryptPush(q(encrypted, '1700000000', tampered), body(encrypted))),
      thrown(() => crypto.decryptPush(q(encrypted, '1699990000'), body(encrypted))),
      thrown(() => crypto.decryptPush(q(otherReceiver), body(otherReceiver))),
      thrown(() => crypto.decryptPush(q(truncated), body(truncated))),
      thrown(() => crypto.decryptPush(q(notXml), body(notXml))),
      thrown(() => crypto.decryptPush(q(encrypted), `${body(encrypted)}${' '.repeat(5000)}`)),
      thrown(() => crypto.decryptPush(q(encrypted), `<!DOCTYPE x>${body(encrypted)}`)),
      thrown(() =>
        crypto.verifyUrl({ ...Object.fromEntries(q(encrypted, '1700000000', tampered)), echostr: encrypted }),
      ),
      thrown(() => messageCrypto({ token: `${token} x`, encodingAESKey, receiveId })),
      thrown(() => messageCrypto({ token, encodingAESKey: `${encodingAESKey}=`, receiveId })),
    ]
    expect(errors.map((error) => error.code)).toEqual([
      'E_PUSH_SIGNATURE',
      'E_PUSH_STALE',
      'E_PUSH_RECEIVE_ID',
      'E_PUSH_DECRYPT',
      'E_PUSH_XML',
      'E_PUSH_TOO_LARGE',
      'E_PUSH_XML',
      'E_PUSH_SIGNATURE',
      'E_INVALID_CONFIG',
      'E_INVALID_CONFIG',
    ])
    const secrets = [
      token,
      encodingAESKey,
      encodingAESKey.slice(0, 12),
      secretText,
      encrypted.slice(0, 16),
      otherReceiver.slice(0, 16),
      notXml.slice(0, 16),
      sign(encrypted),
      tampered,
      'wxother',
    ]
    for (const error of errors) {
      const shown = everythingShown(error)
      for (const secret of secrets) expect(shown).not.toContain(secret)
      expect(error.cause).toBeUndefined()
    }
  })
})
