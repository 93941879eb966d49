/**
 * The response header in which a central server (`@open-bridge/server` ≥ 0.1.0 with this feature) states the
 * remaining life of the credential it answered, in whole seconds (`-1`: never expires). The body stays the
 * value object, exactly as uni-open-bridge answers it; the life travels beside it.
 */
export const EXPIRES_IN_HEADER = 'x-ob-expires-in'

/** The header's seconds, or `undefined` when it is absent or malformed. */
export function parseExpiresIn(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string' || !/^(-1|\d{1,10})$/.test(header)) return undefined
  const seconds = Number(header)
  return seconds === 0 ? undefined : seconds
}
