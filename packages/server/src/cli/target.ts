/** A kind the CLI names: a built-in one (`access_token`, …) or a registered one (`wecom_corp_token`, …), by core's name. */
export type TargetKind = string

/** A key: a built-in kind's `CliKey`, or a registered kind's checked fields. */
export type TargetKey = object

/** A credential as a command reports it. `expiresAt`: ms since the epoch, `null` = never, `undefined` = not known. */
export interface HeldCredential {
  value: Record<string, unknown>
  expiresAt?: number | null
}

/**
 * Where get / set / remove / refresh go: a config's tiers (through a bridge) or a central service (`--remote`: the
 * uni-open-bridge routes for a built-in kind, `POST /kinds/<kind>/…` for a registered one).
 */
export interface CredentialTarget {
  /** `config` or `remote`, for the JSON output. */
  readonly mode: 'config' | 'remote'
  get(kind: TargetKind, key: TargetKey): Promise<HeldCredential | null>
  set(kind: TargetKind, key: TargetKey, value: Record<string, unknown>, expiresIn: number | undefined): Promise<void>
  remove(kind: TargetKind, key: TargetKey): Promise<void>
  /** Compare-and-refresh; null when the service answered no credential. */
  refresh(kind: TargetKind, key: TargetKey, ifValue: string | undefined): Promise<HeldCredential | null>
  close(): Promise<void>
}
