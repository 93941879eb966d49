import ipaddr from 'ipaddr.js'
import type { AuthOptions } from '../app-options.js'
import { ServerError } from '../errors.js'

/** Is `host` an address only this machine can reach (127.0.0.0/8, ::1, `localhost`)? */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (bare.toLowerCase() === 'localhost') return true
  if (!ipaddr.isValid(bare)) return false
  return ipaddr.process(bare).range() === 'loopback'
}

/**
 * The rule "never serve credentials to the network unguarded": throws `E_UNSAFE_EXPOSURE` when `host` is not
 * a loopback address and `auth` configures neither an IP allow-list nor a signing secret. Call it before
 * `listen`. `0.0.0.0` and `::` count as exposed.
 */
export function assertSafeExposure(host: string, auth: AuthOptions | undefined): void {
  if (typeof host !== 'string' || host.length === 0) {
    throw new ServerError('E_INVALID_CONFIG', 'server.host must be a non-empty string', { field: 'server.host' })
  }
  if (isLoopbackHost(host)) return
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
