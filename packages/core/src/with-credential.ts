import type { CredentialBridge } from './bridge.js'
import { credentialString, type AppKey, type CredentialKeys, type CredentialKind } from './credentials.js'
import { BridgeError } from './errors.js'

/**
 * Runs `call` with a credential string read through the bridge (tiers, single-flight, lock). If the call fails
 * and `isRejected(error)` says the platform refused the credential, asks the bridge for a compare-and-refresh
 * (`refresh(kind, key, { ifValue })`: one fetch however many callers report the same value) and retries once with
 * the credential it resolves. Other errors, and a second failure, reach the caller as they are.
 *
 * Rejects `E_NO_CREDENTIAL` when there is no credential to call with (nothing stored and nothing could fetch one).
 */
export async function withCredential<K extends CredentialKind, T>(
  bridge: CredentialBridge,
  kind: K,
  key: CredentialKeys[K],
  call: (credential: string) => Promise<T>,
  isRejected: (error: unknown) => boolean,
): Promise<T> {
  const credential = usable(kind, await bridge.get(kind, key))
  try {
    return await call(credential)
  } catch (error) {
    if (!isRejected(error)) throw error
    return call(usable(kind, await bridge.refresh(kind, key, { ifValue: credential })))
  }
}

/** `withCredential` for the app access_token: `call(access_token)`, refreshed once on a rejection. */
export function withAccessToken<T>(
  bridge: CredentialBridge,
  key: AppKey,
  call: (accessToken: string) => Promise<T>,
  isRejected: (error: unknown) => boolean,
): Promise<T> {
  return withCredential(bridge, 'access_token', key, call, isRejected)
}

function usable(kind: CredentialKind, value: object | null): string {
  const credential = value === null ? undefined : credentialString(kind, value)
  if (credential === undefined) {
    throw new BridgeError('E_NO_CREDENTIAL', `no ${kind} could be had for the key (nothing stored, nothing fetched)`, {
      field: 'key',
    })
  }
  return credential
}
