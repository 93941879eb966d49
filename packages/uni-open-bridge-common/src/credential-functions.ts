import type { CredentialBridge } from '@open-bridge/core'
import { getBridge, readyBridge } from './shared-bridge.js'

/**
 * The fifteen functions of uni-open-bridge-common (and the four `refresh*` open-bridge adds), as plain functions over
 * the one shared bridge: safe to destructure, `this` never used. Each has the bridge method's exact signature.
 */
type Method = keyof CredentialBridge & `${'get' | 'set' | 'remove' | 'refresh'}${string}`

function over<M extends Method>(name: M): CredentialBridge[M] {
  const call = (...args: unknown[]): unknown => {
    // Once built, straight to the bridge: the memory-hit path gains one call, not a promise.
    const bridge = readyBridge()
    if (bridge !== undefined) return (bridge[name] as (...a: unknown[]) => unknown)(...args)
    return getBridge().then((built) => (built[name] as (...a: unknown[]) => unknown)(...args))
  }
  Object.defineProperty(call, 'name', { value: name })
  return call as CredentialBridge[M]
}

export const getAccessToken = over('getAccessToken')
export const setAccessToken = over('setAccessToken')
export const removeAccessToken = over('removeAccessToken')
export const getUserAccessToken = over('getUserAccessToken')
export const setUserAccessToken = over('setUserAccessToken')
export const removeUserAccessToken = over('removeUserAccessToken')
export const getSessionKey = over('getSessionKey')
export const setSessionKey = over('setSessionKey')
export const removeSessionKey = over('removeSessionKey')
export const getEncryptKey = over('getEncryptKey')
export const setEncryptKey = over('setEncryptKey')
export const removeEncryptKey = over('removeEncryptKey')
export const getTicket = over('getTicket')
export const setTicket = over('setTicket')
export const removeTicket = over('removeTicket')

export const refreshAccessToken = over('refreshAccessToken')
export const refreshUserAccessToken = over('refreshUserAccessToken')
export const refreshEncryptKey = over('refreshEncryptKey')
export const refreshTicket = over('refreshTicket')
