import type { CredentialBridge, CredentialKind } from '@open-bridge/core'
import { EXPIRES_IN_HEADER } from '@open-bridge/remote'
import type { FastifyReply } from 'fastify'
import type { ExpiryLookup } from '../app-options.js'
import { uniCompatOf } from '../compat/uni-calls.js'

/**
 * Adds `x-ob-expires-in` (remaining whole seconds, `-1` = never) to an answer that carries a value, so a
 * `remoteBridge()` client caches it no longer than the centre does. The body stays the value object as
 * uni-open-bridge answers it; a client that ignores the header sees nothing new. Best effort: when the
 * lookup finds no record (removed meanwhile) or throws, the answer goes out without the header.
 */
export async function addExpiresIn(
  reply: FastifyReply,
  bridge: CredentialBridge,
  lookup: ExpiryLookup,
  kind: CredentialKind,
  body: object,
): Promise<void> {
  // The key as the route read it (`provider`, an older platform spelling, a user of an app not configured).
  const key = uniCompatOf(bridge).key(kind, body) as { version?: unknown }
  // A versionless encrypt key was answered with the newest one: its own version is in the value, not the body.
  if (kind === 'encrypt_key' && key.version === undefined) return
  try {
    const expiresAt = await lookup(bridge.resolve(kind, key as never).key.storageKey)
    if (expiresAt === undefined) return
    reply.header(EXPIRES_IN_HEADER, String(expiresInSeconds(expiresAt)))
  } catch (error) {
    reply.log.warn({ err: error }, 'could not read the expiry for x-ob-expires-in')
  }
}

/** What `x-ob-expires-in` says of an expiry (ms since the epoch, `null` = never): whole seconds left, at least 1; `-1` for never. */
export function expiresInSeconds(expiresAt: number | null): number {
  return expiresAt === null ? -1 : Math.max(1, Math.floor((expiresAt - Date.now()) / 1000))
}
