import type { RouteKind } from '../http/credential-routes.js'

/** The kinds the CLI handles: those the HTTP routes serve, so `--remote` and a local config take the same ones. */
export const CLI_KINDS: readonly RouteKind[] = [
  'access_token',
  'ticket',
  'user_access_token',
  'session_key',
  'encrypt_key',
]

/** Kinds with compare-and-refresh (a session_key comes from a user's login code, not from a refresh). */
export const REFRESHABLE_KINDS: readonly RouteKind[] = ['access_token', 'ticket', 'user_access_token', 'encrypt_key']

/** uni-open-bridge's method suffix of each kind (`getAccessToken`, …): the route names of `--remote`. */
export const ROUTE_NAMES: Record<RouteKind, string> = {
  access_token: 'AccessToken',
  ticket: 'Ticket',
  user_access_token: 'UserAccessToken',
  session_key: 'SessionKey',
  encrypt_key: 'EncryptKey',
}

/** The field of each kind's value that holds the credential string (what `--if-value` names and the fingerprint hashes). */
export const CREDENTIAL_FIELD: Record<RouteKind, string> = {
  access_token: 'access_token',
  ticket: 'ticket',
  user_access_token: 'access_token',
  session_key: 'session_key',
  encrypt_key: 'encrypt_key',
}

/**
 * A kind as typed: core's name (`access_token`), kebab-case (`access-token`) or uni-open-bridge's (`AccessToken`),
 * any case. Undefined when it is none of them.
 */
export function parseKind(text: string): RouteKind | undefined {
  const wanted = text.toLowerCase().replace(/[-_]/g, '')
  return CLI_KINDS.find((kind) => kind.replace(/_/g, '') === wanted)
}
