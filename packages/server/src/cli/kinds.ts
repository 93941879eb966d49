import { CREDENTIAL_ROUTES, ROUTE_KINDS, type RouteKind } from '@open-bridge/remote'

/** Kinds with compare-and-refresh: those with a `refresh*` route (a session_key comes from a user's login code). */
export const REFRESHABLE_KINDS: readonly RouteKind[] = CREDENTIAL_ROUTES.filter(
  (route) => route.operation === 'refresh',
).map((route) => route.kind)

/**
 * A kind as typed: core's name (`access_token`), kebab-case (`access-token`) or uni-open-bridge's (`AccessToken`),
 * any case. Undefined when it is none of them. The CLI takes the kinds the routes serve (`ROUTE_KINDS`), so
 * `--remote` and a local config take the same ones.
 */
export function parseKind(text: string): RouteKind | undefined {
  const wanted = text.toLowerCase().replace(/[-_]/g, '')
  return ROUTE_KINDS.find((kind) => kind.replace(/_/g, '') === wanted)
}
