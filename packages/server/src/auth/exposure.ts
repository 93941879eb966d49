import ipaddr from 'ipaddr.js'
import type { AuthOptions } from '../app-options.js'
import { ServerError } from '../errors.js'
import { matchesEverything } from './ip-allow-list.js'

/** Is `host` an address only this machine can reach (127.0.0.0/8, ::1, `localhost`)? */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (bare.toLowerCase() === 'localhost') return true
  if (!ipaddr.isValid(bare)) return false
  return ipaddr.process(bare).range() === 'loopback'
}

/**
 * The rule "never serve credentials to the network unguarded": throws `E_UNSAFE_EXPOSURE` when `host` is not
 * a loopback address and `auth` configures neither an IP allow-list nor a signing secret — or configures
 * protection that protects nothing: an allow-list entry that matches every address (`0.0.0.0/0`, `::/0`,
 * `::ffff:0:0/96`), or `trustProxy: true` without a signing secret (every hop trusted: a forged
 * `X-Forwarded-For` passes any allow-list). The error's `field` names the entry. Call it before `listen`.
 * `0.0.0.0` and `::` count as exposed.
 */
export function assertSafeExposure(host: string, auth: AuthOptions | undefined): void {
  if (typeof host !== 'string' || host.length === 0) {
    throw new ServerError('E_INVALID_CONFIG', 'server.host must be a non-empty string', { field: 'server.host' })
  }
  if (isLoopbackHost(host)) return
  const everything = (auth?.ipAllowList ?? []).findIndex((entry) => matchesEverything(entry))
  if (everything !== -1) {
    throw new ServerError(
      'E_UNSAFE_EXPOSURE',
      `refusing to listen on ${host}: server.auth.ipAllowList[${everything}] matches every address, so it protects nothing; list your clients' networks`,
      { field: `server.auth.ipAllowList[${everything}]` },
    )
  }
  const signs = typeof auth?.signingSecret === 'string' && auth.signingSecret.length > 0
  if (auth?.trustProxy === true && !signs) {
    throw new ServerError(
      'E_UNSAFE_EXPOSURE',
      `refusing to listen on ${host}: server.auth.trustProxy true trusts every hop, so a forged X-Forwarded-For passes the allow-list; name your proxies' addresses (or a hop count), or add server.auth.signingSecret`,
      { field: 'server.auth.trustProxy' },
    )
  }
  const guarded =
    (auth?.ipAllowList?.length ?? 0) > 0 || (typeof auth?.signingSecret === 'string' && auth.signingSecret.length > 0)
  if (!guarded) {
    throw new ServerError(
      'E_UNSAFE_EXPOSURE',
      `refusing to listen on ${host}: a non-loopback address needs server.auth.ipAllowList or server.auth.signingSecret (or both)`,
      { field: 'server.auth' },
    )
  }
}
