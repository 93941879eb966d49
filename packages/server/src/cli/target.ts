import type { RouteKind } from '@open-bridge/remote'
import type { CliKey } from './credential-key.js'

/** A credential as a command reports it. `expiresAt`: ms since the epoch, `null` = never, `undefined` = not known. */
export interface HeldCredential {
  value: Record<string, unknown>
  expiresAt?: number | null
}

/** Where get / set / remove / refresh go: a config's tiers (through a bridge) or a central service (`--remote`). */
export interface CredentialTarget {
  /** `config` or `remote`, for the JSON output. */
  readonly mode: 'config' | 'remote'
  get(kind: RouteKind, key: CliKey): Promise<HeldCredential | null>
  set(kind: RouteKind, key: CliKey, value: Record<string, unknown>, expiresIn: number | undefined): Promise<void>
  remove(kind: RouteKind, key: CliKey): Promise<void>
  /** Compare-and-refresh; null when the service answered no credential. */
  refresh(kind: RouteKind, key: CliKey, ifValue: string | undefined): Promise<HeldCredential | null>
  close(): Promise<void>
}
