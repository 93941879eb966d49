import { describe, expect, it } from 'vitest'
import { CREDENTIAL_ROUTES, ROUTE_KINDS, credentialRoute } from '../src/index.js'

describe('the centre routes (the one home of the route table)', () => {
  it("are uni-open-bridge's fifteen methods, then a refresh route for every kind but session_key", () => {
    expect(ROUTE_KINDS).toEqual(['access_token', 'user_access_token', 'session_key', 'encrypt_key', 'ticket'])
    expect(CREDENTIAL_ROUTES.map((route) => route.method)).toEqual([
      ...['AccessToken', 'UserAccessToken', 'SessionKey', 'EncryptKey', 'Ticket'].flatMap((name) => [
        `get${name}`,
        `set${name}`,
        `remove${name}`,
      ]),
      'refreshAccessToken',
      'refreshUserAccessToken',
      'refreshEncryptKey',
      'refreshTicket',
    ])
    expect(CREDENTIAL_ROUTES.every((route) => route.method.startsWith(route.operation))).toBe(true)
  })

  it('credentialRoute finds a route by kind and operation; none for a kind or refresh the centre lacks', () => {
    expect(credentialRoute('ticket', 'refresh')).toEqual({
      method: 'refreshTicket',
      kind: 'ticket',
      operation: 'refresh',
    })
    expect(credentialRoute('session_key', 'get')?.method).toBe('getSessionKey')
    expect(credentialRoute('session_key', 'refresh')).toBeUndefined()
    expect(credentialRoute('user_refresh_token', 'get')).toBeUndefined()
  })

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(CREDENTIAL_ROUTES)).toBe(true)
    expect(Object.isFrozen(CREDENTIAL_ROUTES[0])).toBe(true)
    expect(Object.isFrozen(ROUTE_KINDS)).toBe(true)
  })
})
