import { ServerError } from '../errors.js'

/** The names a loopback service without auth answers to, by default: nothing a rebound DNS name can be. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]']

/**
 * The `Host` check against DNS rebinding: a web page whose name an attacker rebinds to 127.0.0.1 reaches a
 * loopback service with `Host: attacker.example`. Names are compared without the port (a port mapping may put
 * the service behind another one) and case-insensitively; `'*'` turns the check off.
 */
export class HostCheck {
  readonly #names: ReadonlySet<string>
  readonly #any: boolean

  /** Throws `E_INVALID_CONFIG` naming the entry that is not a host name. */
  constructor(names: readonly string[], field = 'allowedHosts') {
    if (!Array.isArray(names) || names.length === 0) {
      throw new ServerError('E_INVALID_CONFIG', `${field} must be a non-empty array of host names`, { field })
    }
    names.forEach((name, i) => {
      if (typeof name !== 'string' || !/^(\*|\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/.test(name)) {
        throw new ServerError(
          'E_INVALID_CONFIG',
          `${field}[${i}] must be a host name without port (example.internal, 10.0.0.5, [::1]) or '*'`,
          { field: `${field}[${i}]` },
        )
      }
    })
    this.#any = names.includes('*')
    this.#names = new Set(names.map((name) => name.toLowerCase()))
  }

  /** Does `host` (the request's `Host` header, port included or not) name this service? */
  allows(host: string | undefined): boolean {
    if (this.#any) return true
    if (host === undefined) return false
    return this.#names.has(hostName(host).toLowerCase())
  }
}

/** `example:8787` → `example`, `[::1]:8787` → `[::1]`. */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end === -1 ? host : host.slice(0, end + 1)
  }
  const colon = host.indexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
}

export function hostRefusal(): ServerError {
  return new ServerError('E_HOST_NOT_ALLOWED', 'the Host header does not name this service (see server.allowedHosts)', {
    statusCode: 421,
  })
}
