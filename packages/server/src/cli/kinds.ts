import { registeredKinds, type RegisteredKind } from '@open-bridge/core'
import { CREDENTIAL_ROUTES, ROUTE_KINDS, type RouteKind } from '@open-bridge/remote'
// The families whose kinds the CLI knows by name: importing the package registers them (WeCom, the Open Platform).
import '@open-bridge/wechat-fetchers'

/** Kinds with compare-and-refresh: those with a `refresh*` route (a session_key comes from a user's login code). */
export const REFRESHABLE_KINDS: readonly RouteKind[] = CREDENTIAL_ROUTES.filter(
  (route) => route.operation === 'refresh',
).map((route) => route.kind)

/** `access-token`, `AccessToken`, `access_token` → `accesstoken`: how every spelling of a kind is compared. */
function folded(text: string): string {
  return text.toLowerCase().replace(/[-_]/g, '')
}

/**
 * A kind as typed: core's name (`access_token`), kebab-case (`access-token`) or uni-open-bridge's (`AccessToken`),
 * any case. Undefined when it is none of them. The CLI takes the kinds the routes serve (`ROUTE_KINDS`), so
 * `--remote` and a local config take the same ones.
 */
export function parseKind(text: string): RouteKind | undefined {
  const wanted = folded(text)
  return ROUTE_KINDS.find((kind) => kind.replace(/_/g, '') === wanted)
}

/**
 * A registered kind (`registerKind`: WeCom's `wecom_corp_token`, the Open Platform's `component_access_token`, a
 * family's own) by the same spellings: core's name, kebab-case (`wecom-corp-token`) or `WecomCorpToken`.
 */
export function parseRegisteredKind(text: string): RegisteredKind | undefined {
  const wanted = folded(text)
  let found: RegisteredKind | undefined
  for (const kind of registeredKinds()) {
    if (kind.definition.name === text) return kind
    if (found === undefined && folded(kind.definition.name) === wanted) found = kind
  }
  return found
}

/** Every registered kind's name, for help and usage messages. */
export function registeredKindNames(): string[] {
  return [...registeredKinds()].map((kind) => kind.definition.name)
}

/**
 * What to do instead, for a kind the CLI will not refresh (pushed or durable: it cannot be fetched again). Only the
 * kinds whose family has a command for it; other kinds get the general reason alone.
 */
export const NOT_REFRESHABLE_HINTS: Readonly<Record<string, string>> = {
  component_verify_ticket:
    'WeChat pushes it; `open-bridge open-platform start-push <componentAppid>` asks WeChat to resume pushing',
  authorizer_refresh_token:
    'authorisations write it; `open-bridge open-platform rebuild <componentAppid>` restores lost ones from WeChat',
  authorizer_home:
    'authorisations write it; `open-bridge open-platform rebuild <componentAppid>` restores lost ones from WeChat',
}
