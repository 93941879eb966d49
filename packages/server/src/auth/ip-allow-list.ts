import ipaddr from 'ipaddr.js'
import { ServerError } from '../errors.js'

type Range = [ipaddr.IPv4, number] | [ipaddr.IPv6, number]

/** How many client addresses keep their verdict cached; a stream of new addresses starts the cache over. */
const MAX_CACHED = 4096

/**
 * An IP allow-list of single addresses and CIDR ranges, IPv4 and IPv6. IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`, what a dual-stack socket reports for an IPv4 client) are matched as the IPv4 address
 * they carry, on both sides: in the list and from the client.
 */
export class IpAllowList {
  readonly #v4: Array<[ipaddr.IPv4, number]> = []
  readonly #v6: Array<[ipaddr.IPv6, number]> = []
  readonly #verdicts = new Map<string, boolean>()

  /** Throws `E_INVALID_CONFIG` naming the first entry that is neither an address nor a CIDR range. */
  constructor(entries: readonly string[], field = 'auth.ipAllowList') {
    entries.forEach((entry, i) => {
      const range = parseEntry(entry)
      if (range === undefined) {
        const shown = typeof entry === 'string' ? JSON.stringify(entry.slice(0, 80)) : typeof entry
        throw new ServerError(
          'E_INVALID_CONFIG',
          `${field}[${i}] is not an IPv4/IPv6 address or CIDR range: ${shown}`,
          {
            field: `${field}[${i}]`,
          },
        )
      }
      if (range[0].kind() === 'ipv4') this.#v4.push(range as [ipaddr.IPv4, number])
      else this.#v6.push(range as [ipaddr.IPv6, number])
    })
  }

  get size(): number {
    return this.#v4.length + this.#v6.length
  }

  /** Is `address` (as a socket or `X-Forwarded-For` reports it) in the list? Anything unparsable is not. */
  allows(address: string | undefined): boolean {
    if (address === undefined) return false
    const cached = this.#verdicts.get(address)
    if (cached !== undefined) return cached
    const verdict = this.#match(address)
    if (this.#verdicts.size >= MAX_CACHED) this.#verdicts.clear()
    this.#verdicts.set(address, verdict)
    return verdict
  }

  #match(address: string): boolean {
    if (!ipaddr.isValid(address)) return false
    const ip = ipaddr.process(address) // ::ffff:a.b.c.d → a.b.c.d
    if (ip.kind() === 'ipv4') return this.#v4.some((range) => (ip as ipaddr.IPv4).match(range))
    return this.#v6.some((range) => (ip as ipaddr.IPv6).match(range))
  }
}

/**
 * Does `entry` admit every address of its family (`0.0.0.0/0`, `::/0`, `::ffff:0:0/96`, any address with `/0`)?
 * Such a list protects nothing. Entries that do not parse are not (the list's own check names them).
 */
export function matchesEverything(entry: unknown): boolean {
  const range = parseEntry(entry)
  return range !== undefined && range[1] === 0
}

function parseEntry(entry: unknown): Range | undefined {
  if (typeof entry !== 'string') return undefined
  const text = entry.trim()
  const slash = text.indexOf('/')
  // Strict forms only: ipaddr.js would also take '10.1' or octal parts, which nobody means in a config.
  if (!isStrictAddress(slash === -1 ? text : text.slice(0, slash))) return undefined
  try {
    if (slash !== -1) {
      if (!/^\d{1,3}$/.test(text.slice(slash + 1))) return undefined
      const [ip, bits] = ipaddr.parseCIDR(text)
      // A mapped range (::ffff:10.0.0.0/104) is the IPv4 range it carries.
      if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        return [(ip as ipaddr.IPv6).toIPv4Address(), bits - 96]
      }
      return [ip, bits] as Range
    }
    const ip = ipaddr.process(text)
    return [ip, ip.kind() === 'ipv4' ? 32 : 128] as Range
  } catch {
    return undefined
  }
}

function isStrictAddress(text: string): boolean {
  return (
    ipaddr.IPv4.isValidFourPartDecimal(text) || (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text))
  )
}
