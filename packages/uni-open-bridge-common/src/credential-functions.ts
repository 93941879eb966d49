import type { UniCalls, UniMethod } from '@open-bridge/server'
import { callsOf, readyCalls } from './shared-bridge.js'

/**
 * uni-open-bridge-common's functions (the fifteen, the `update*` of 1.2.x, the first cloud object's `*UserKey`, and
 * the four `refresh*` open-bridge adds), as plain functions over the one shared bridge: safe to destructure,
 * `this` never used. They take what the original took (`provider`, older platform spellings, a missing encrypt-key
 * `version`, `expiresIn: 0`, a user credential of an app uni-id does not configure): see the server's `uniCalls`.
 */
function over<M extends UniMethod>(name: M): UniCalls[M] {
  const call = (...args: unknown[]): unknown => {
    // Once built, straight to the call: the memory-hit path gains one call, not a promise.
    const calls = readyCalls()
    if (calls !== undefined) return (calls[name] as (...a: unknown[]) => unknown)(...args)
    return callsOf().then((built) => (built[name] as (...a: unknown[]) => unknown)(...args))
  }
  Object.defineProperty(call, 'name', { value: name })
  return call as UniCalls[M]
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

/** 1.2.x: fetch now and store (here a refresh of the stored credential: one fetch for the deployment). */
export const updateAccessToken = over('updateAccessToken')
export const updateEncryptKey = over('updateEncryptKey')
export const updateTicket = over('updateTicket')

/** The first cloud object's (1.0.0) names of the session_key functions. */
export const getUserKey = over('getUserKey')
export const setUserKey = over('setUserKey')
export const removeUserKey = over('removeUserKey')

export const refreshAccessToken = over('refreshAccessToken')
export const refreshUserAccessToken = over('refreshUserAccessToken')
export const refreshEncryptKey = over('refreshEncryptKey')
export const refreshTicket = over('refreshTicket')
