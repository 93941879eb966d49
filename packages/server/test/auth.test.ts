import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { IpAllowList } from '../src/auth/ip-allow-list.js'
import fc from 'fast-check'
import { NonceTable } from '../src/auth/nonce-table.js'
import { RequestVerifier } from '../src/auth/signature.js'
import { isLoopbackHost } from '../src/auth/exposure.js'
import { assertSafeExposure, isServerError, signRequest } from '../src/index.js'

describe('IpAllowList', () => {
  const list = new IpAllowList(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '::ffff:172.16.0.0/108'])

  it.each([
    ['10.0.0.1', true],
    ['10.255.255.255', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['2001:db8::1', true],
    ['2001:db8:ffff::1', true],
    ['2001:db9::1', false],
    ['::1', true],
    ['::2', false],
    // IPv4-mapped IPv6 (a dual-stack socket) matches as its IPv4 address.
    ['::ffff:10.0.0.1', true],
    ['::ffff:11.0.0.1', false],
    ['::ffff:192.168.1.7', true],
    // a mapped range in the list is the IPv4 range it carries
    ['172.16.5.5', true],
    ['172.32.0.1', false],
    ['', false],
    ['not-an-ip', false],
  ])('%s → %s', (ip, allowed) => {
    expect(list.allows(ip)).toBe(allowed)
    expect(list.allows(ip)).toBe(allowed) // cached verdict agrees
  })

  it('an IPv4 range does not match an IPv6 address that merely looks alike', () => {
    expect(new IpAllowList(['0.0.0.0/0']).allows('2001:db8::1')).toBe(false)
    expect(new IpAllowList(['::/0']).allows('10.0.0.1')).toBe(false)
  })

  it.each([
    ['10.0.0.0/33'],
    ['10.0.0'],
    ['010.0.0.1'],
    ['10.0.0.0/8/1'],
    ['fe80::1%eth0'],
    ['example.com'],
    [''],
    ['10.0.0.0/x'],
    ['2001:db8::/129'],
  ])('refuses %j at build with E_INVALID_CONFIG naming the entry', (bad) => {
    try {
      new IpAllowList(['127.0.0.1', bad])
      expect.unreachable()
    } catch (error) {
      expect(isServerError(error, 'E_INVALID_CONFIG')).toBe(true)
      expect((error as { field: string }).field).toBe('auth.ipAllowList[1]')
    }
  })

  it('refuses a non-string entry', () => {
    expect(() => new IpAllowList([42 as unknown as string])).toThrow(/auth\.ipAllowList\[0\]/)
  })
})

describe('signRequest', () => {
  it('v2 is HMAC-SHA256 over "OB2\\naudience\\ntimestamp\\nnonce\\nMETHOD\\npath\\nbody", with x-ob-signature-version 2', () => {
    const headers = signRequest({
      secret: 's3cret-s3cret-s3',
      method: 'post',
      path: '/getAccessToken?x=1',
      body: '{"a":1}',
      timestamp: 1700000000,
      nonce: 'nonce-0001',
      audience: 'bridge.internal:8787',
    })
    const expected = createHmac('sha256', 's3cret-s3cret-s3')
      .update('OB2\nbridge.internal:8787\n1700000000\nnonce-0001\nPOST\n/getAccessToken?x=1\n{"a":1}')
      .digest('hex')
    expect(headers).toEqual({
      'x-ob-timestamp': '1700000000',
      'x-ob-nonce': 'nonce-0001',
      'x-ob-signature': expected,
      'x-ob-signature-version': '2',
    })
  })

  it('v1 is HMAC-SHA256 over "timestamp\\nnonce\\nMETHOD\\npath\\nbody", lowercase hex', () => {
    const headers = signRequest({
      secret: 's3cret-s3cret-s3',
      method: 'post',
      path: '/getAccessToken?x=1',
      body: '{"a":1}',
      timestamp: 1700000000,
      nonce: 'nonce-0001',
      version: 1,
    })
    const expected = createHmac('sha256', 's3cret-s3cret-s3')
      .update('1700000000\nnonce-0001\nPOST\n/getAccessToken?x=1\n{"a":1}')
      .digest('hex')
    expect(headers).toEqual({ 'x-ob-timestamp': '1700000000', 'x-ob-nonce': 'nonce-0001', 'x-ob-signature': expected })
  })

  it('signs bytes exactly like the same string, and no body like an empty one', () => {
    const base = { secret: 'k'.repeat(16), method: 'POST', path: '/p', timestamp: 1, nonce: 'abcdefgh', audience: 'h' }
    expect(signRequest({ ...base, body: Buffer.from('{"é":1}') })).toEqual(signRequest({ ...base, body: '{"é":1}' }))
    expect(signRequest(base)).toEqual(signRequest({ ...base, body: '' }))
  })

  it('makes a fresh nonce and the current time by default', () => {
    const a = signRequest({ secret: 'k'.repeat(16), method: 'POST', path: '/p', audience: 'h' })
    const b = signRequest({ secret: 'k'.repeat(16), method: 'POST', path: '/p', audience: 'h' })
    expect(a['x-ob-nonce']).not.toBe(b['x-ob-nonce'])
    expect(Math.abs(Number(a['x-ob-timestamp']) - Date.now() / 1000)).toBeLessThan(5)
  })

  it.each([
    [{ secret: '' }, 'secret'],
    [{ method: 'PO ST' }, 'method'],
    [{ path: 'getAccessToken' }, 'path'],
    [{ path: '/a\nb' }, 'path'],
    [{ body: { a: 1 } }, 'body'],
    [{ timestamp: 1.5 }, 'timestamp'],
    [{ nonce: 'short' }, 'nonce'],
    [{ nonce: 'has space in it' }, 'nonce'],
    [{ audience: undefined }, 'audience'],
    [{ audience: '' }, 'audience'],
  ])('refuses %j naming %s', (patch, field) => {
    const input = { secret: 'k'.repeat(16), method: 'POST', path: '/p', audience: 'h', ...patch } as Parameters<
      typeof signRequest
    >[0]
    try {
      signRequest(input)
      expect.unreachable()
    } catch (error) {
      expect(isServerError(error, 'E_INVALID_CONFIG')).toBe(true)
      expect((error as { field: string }).field).toBe(field)
    }
  })
})

describe('RequestVerifier', () => {
  const secret = 'verifier-secret-0123'
  const make = (now: { ms: number }, maxNonces?: number) =>
    new RequestVerifier(secret, { now: () => now.ms, maxNonces, audiences: ['centre'] })
  const signed = (timestamp: number, nonce: string, body = '{}') =>
    signRequest({ secret, method: 'POST', path: '/x', body, timestamp, nonce, audience: 'centre' })

  it('accepts within ±5 minutes and refuses just outside', () => {
    const now = { ms: 1_700_000_000_000 }
    const verifier = make(now)
    expect(verifier.verify('POST', '/x', signed(1_700_000_000 - 300, 'nonce-a1'), '{}')).toBeUndefined()
    expect(verifier.verify('POST', '/x', signed(1_700_000_000 + 300, 'nonce-a2'), '{}')).toBeUndefined()
    expect(verifier.verify('POST', '/x', signed(1_700_000_000 - 301, 'nonce-a3'), '{}')).toBe('expired')
    expect(verifier.verify('POST', '/x', signed(1_700_000_000 + 301, 'nonce-a4'), '{}')).toBe('expired')
  })

  it('refuses a replayed nonce within the window, and forgets it once the window has passed', () => {
    const now = { ms: 1_700_000_000_000 }
    const verifier = make(now)
    expect(verifier.verify('POST', '/x', signed(1_700_000_000, 'nonce-r1'), '{}')).toBeUndefined()
    expect(verifier.verify('POST', '/x', signed(1_700_000_000, 'nonce-r1'), '{}')).toBe('replayed')
    // Same nonce, newer timestamp, still within the first one's window: refused.
    now.ms += 200_000
    expect(verifier.verify('POST', '/x', signed(1_700_000_200, 'nonce-r1'), '{}')).toBe('replayed')
    // Past the first timestamp's window (+ 1 s slack) the nonce is forgotten; the old request is refused by its timestamp.
    now.ms = 1_700_000_000_000 + 302_000
    expect(verifier.verify('POST', '/x', signed(1_700_000_000, 'nonce-r1'), '{}')).toBe('expired')
    expect(verifier.verify('POST', '/x', signed(1_700_000_302, 'nonce-r1'), '{}')).toBeUndefined()
  })

  it('does not spend a nonce on a request whose signature is wrong', () => {
    const now = { ms: 1_700_000_000_000 }
    const verifier = make(now)
    expect(verifier.verify('POST', '/x', signed(1_700_000_000, 'nonce-w1'), '{"tampered":1}')).toBe('mismatch')
    expect(verifier.verify('POST', '/x', signed(1_700_000_000, 'nonce-w1'), '{}')).toBeUndefined()
  })

  it('is bounded: a cache full of live nonces refuses (cache-full) rather than forgetting one', () => {
    const now = { ms: 1_700_000_000_000 }
    const verifier = make(now, 3)
    for (const n of ['nonce-b1', 'nonce-b2', 'nonce-b3'])
      expect(verifier.verify('POST', '/x', signed(1_700_000_000, n), '{}')).toBeUndefined()
    expect(verifier.verify('POST', '/x', signed(1_700_000_000, 'nonce-b4'), '{}')).toBe('cache-full')
    now.ms += 302_000
    expect(verifier.verify('POST', '/x', signed(1_700_000_302, 'nonce-b4'), '{}')).toBeUndefined()
  })

  it.each([
    [{}, 'missing'],
    [{ 'x-ob-timestamp': '1700000000', 'x-ob-nonce': 'nonce-m1' }, 'missing'],
    [{ 'x-ob-timestamp': 'soon', 'x-ob-nonce': 'nonce-m1', 'x-ob-signature': 'a'.repeat(64) }, 'malformed'],
    [{ 'x-ob-timestamp': '1700000000', 'x-ob-nonce': 'n', 'x-ob-signature': 'a'.repeat(64) }, 'malformed'],
    [{ 'x-ob-timestamp': '1700000000', 'x-ob-nonce': 'nonce-m1', 'x-ob-signature': 'a'.repeat(63) }, 'malformed'],
    [{ 'x-ob-timestamp': '1700000000', 'x-ob-nonce': 'nonce-m1', 'x-ob-signature': 'g'.repeat(64) }, 'malformed'],
    [
      { 'x-ob-timestamp': ['1700000000', '1'], 'x-ob-nonce': 'nonce-m1', 'x-ob-signature': 'a'.repeat(64) },
      'malformed',
    ],
    [{ 'x-ob-timestamp': '1700000000', 'x-ob-nonce': 'nonce-m1', 'x-ob-signature': 'a'.repeat(64) }, 'v1-refused'],
    [
      {
        'x-ob-timestamp': '1700000000',
        'x-ob-nonce': 'nonce-m1',
        'x-ob-signature': 'a'.repeat(64),
        'x-ob-signature-version': '3',
      },
      'malformed',
    ],
    [
      {
        'x-ob-timestamp': '1700000000',
        'x-ob-nonce': 'nonce-m1',
        'x-ob-signature': 'a'.repeat(64),
        'x-ob-signature-version': '2',
      },
      'mismatch',
    ],
  ])('headers %j → %s', (headers, failure) => {
    expect(make({ ms: 1_700_000_000_000 }).verify('POST', '/x', headers, '{}')).toBe(failure)
  })

  it('v1 signatures only where acceptV1 says so', () => {
    const v1 = signRequest({
      secret,
      method: 'POST',
      path: '/x',
      body: '{}',
      timestamp: 1_700_000_000,
      nonce: 'nonce-v1a',
      version: 1,
    })
    expect(make({ ms: 1_700_000_000_000 }).verify('POST', '/x', v1, '{}')).toBe('v1-refused')
    const lenient = new RequestVerifier(secret, { now: () => 1_700_000_000_000, acceptV1: true })
    expect(lenient.verify('POST', '/x', v1, '{}')).toBeUndefined()
  })

  it('v2 binds the audience: configured names, else the Host header', () => {
    const at = { timestamp: 1_700_000_000, secret, method: 'POST', path: '/x', body: '{}' }
    const forA = (nonce: string) => signRequest({ ...at, nonce, audience: 'a.example:8787' })
    const byHost = new RequestVerifier(secret, { now: () => 1_700_000_000_000 })
    expect(byHost.verify('POST', '/x', { ...forA('nonce-h1'), host: 'A.example:8787' }, '{}')).toBeUndefined()
    expect(byHost.verify('POST', '/x', { ...forA('nonce-h2'), host: 'b.example:8787' }, '{}')).toBe('mismatch')
    expect(byHost.verify('POST', '/x', forA('nonce-h3'), '{}')).toBe('mismatch') // no Host at all
    const named = new RequestVerifier(secret, { now: () => 1_700_000_000_000, audiences: ['b-centre', 'b.example'] })
    // A forged Host naming A does not help at a centre that names itself.
    expect(named.verify('POST', '/x', { ...forA('nonce-h4'), host: 'a.example:8787' }, '{}')).toBe('mismatch')
    expect(
      named.verify('POST', '/x', signRequest({ ...at, nonce: 'nonce-h5', audience: 'b.example' }), '{}'),
    ).toBeUndefined()
  })
})

describe('NonceTable', () => {
  it('remembers a nonce until its time, then forgets it', () => {
    const table = new NonceTable(1000)
    expect(table.add('nonce-1', 2000, 0)).toBe(true)
    expect(table.has('nonce-1', 1999)).toBe(true)
    expect(table.has('nonce-2', 1999)).toBe(false)
    expect(table.has('nonce-1', 2000)).toBe(false)
  })

  it('reclaims expired slots, so a steady stream stays within a bounded table', () => {
    const table = new NonceTable(100_000)
    // 200 000 nonces, each live for 1 000 "ms", one per ms: about 1 000 live at any time.
    for (let t = 0; t < 200_000; t++) expect(table.add(`n${t}`, t + 1000, t)).toBe(true)
    expect(table.capacity).toBeLessThanOrEqual(8192)
    expect(table.has('n199999', 200_000)).toBe(true)
    expect(table.has('n100', 200_000)).toBe(false)
  })

  it('is bounded: full of live nonces it refuses rather than forgetting one', () => {
    const table = new NonceTable(5000)
    let accepted = 0
    while (table.add(`live-${accepted}`, 1e12, 0)) accepted++
    expect(accepted).toBe(5000)
    for (let i = 0; i < accepted; i += 97) expect(table.has(`live-${i}`, 1)).toBe(true)
    // once they expire, there is room again
    expect(table.add('later', 2e12, 1e12)).toBe(true)
  })

  it('agrees with a Map model over random add / has / time steps', () => {
    fc.assert(
      fc.property(
        // Enough distinct nonces to crowd a 4096-slot table: probe chains, expired slots inside them, rebuilds.
        fc.array(
          fc.tuple(
            fc.constantFrom('add', 'add', 'has', 'tick'),
            fc.integer({ min: 0, max: 6000 }),
            fc.integer({ min: 1, max: 50 }),
          ),
          {
            minLength: 2000,
            maxLength: 8000,
          },
        ),
        (ops) => {
          const table = new NonceTable(50_000)
          const model = new Map<string, number>()
          let now = 1
          for (const [op, n, dt] of ops) {
            const nonce = `nonce-${n}`
            const live = (model.get(nonce) ?? 0) > now
            if (op === 'tick') now += dt
            else if (op === 'has') expect(table.has(nonce, now)).toBe(live)
            else if (!live) {
              expect(table.add(nonce, now + dt * 10, now)).toBe(true)
              model.set(nonce, now + dt * 10)
            }
          }
          // and every nonce the model holds live is still there at the end
          for (const [nonce, until] of model) expect(table.has(nonce, now)).toBe(until > now)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('assertSafeExposure', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])(
    '%s is loopback: no auth needed',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true)
      expect(() => assertSafeExposure(host, {})).not.toThrow()
    },
  )

  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '2001:db8::1'])(
    '%s is exposed: refused without auth',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false)
      try {
        assertSafeExposure(host, { ipAllowList: [] })
        expect.unreachable()
      } catch (error) {
        expect(isServerError(error, 'E_UNSAFE_EXPOSURE')).toBe(true)
      }
      expect(() => assertSafeExposure(host, { ipAllowList: ['10.0.0.0/8'] })).not.toThrow()
      expect(() => assertSafeExposure(host, { signingSecret: 'x'.repeat(16) })).not.toThrow()
    },
  )

  it.each([
    ['0.0.0.0/0', 0],
    ['::/0', 0],
    ['::ffff:0:0/96', 0],
    ['::ffff:0.0.0.0/96', 0],
    ['10.1.2.3/0', 1],
    ['2001:db8::/0', 1],
  ])('an allow-list entry that matches everything (%s) is refused, naming the entry', (entry, at) => {
    const ipAllowList = at === 0 ? [entry] : ['10.0.0.0/8', entry]
    for (const auth of [{ ipAllowList }, { ipAllowList, signingSecret: 'x'.repeat(16) }]) {
      expect(() => assertSafeExposure('0.0.0.0', auth)).toThrow(
        expect.objectContaining({ code: 'E_UNSAFE_EXPOSURE', field: `server.auth.ipAllowList[${at}]` }),
      )
    }
    // Narrow ranges pass; on loopback nothing is exposed.
    expect(() =>
      assertSafeExposure('0.0.0.0', { ipAllowList: ['0.0.0.0/1', '::/1', '::ffff:10.0.0.0/104'] }),
    ).not.toThrow()
    expect(() => assertSafeExposure('127.0.0.1', { ipAllowList })).not.toThrow()
  })

  it('trustProxy true on a public address is refused without a signing secret, naming the field', () => {
    expect(() => assertSafeExposure('0.0.0.0', { ipAllowList: ['10.0.0.0/8'], trustProxy: true })).toThrow(
      expect.objectContaining({ code: 'E_UNSAFE_EXPOSURE', field: 'server.auth.trustProxy' }),
    )
    expect(() =>
      assertSafeExposure('0.0.0.0', { ipAllowList: ['10.0.0.0/8'], trustProxy: true, signingSecret: 'x'.repeat(16) }),
    ).not.toThrow()
    // Named proxies or a hop count are what the README recommends: accepted.
    for (const trustProxy of ['10.0.0.1', ['10.0.0.0/8'], 1, false])
      expect(() => assertSafeExposure('0.0.0.0', { ipAllowList: ['10.0.0.0/8'], trustProxy })).not.toThrow()
    expect(() => assertSafeExposure('127.0.0.1', { trustProxy: true })).not.toThrow()
  })

  it('an empty host is a config error', () => {
    expect(() => assertSafeExposure('', {})).toThrow(
      expect.objectContaining({ code: 'E_INVALID_CONFIG', field: 'server.host' }),
    )
  })
})
