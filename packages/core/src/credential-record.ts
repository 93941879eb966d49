import type { AppConfig } from './apps.js'
import type { CredentialKind, CredentialValues } from './credentials.js'
import { BridgeError, isBridgeError } from './errors.js'
import type { StoredRecord } from './store.js'

/**
 * A credential with its life, as `getRecord` resolves it: the value object and its absolute expiry (ms since the
 * epoch, `null` = never), the one the tiers hold. What an SDK's token hook or a cache in front of the bridge needs
 * to know how long it may keep the value.
 */
export interface CredentialRecord<K extends CredentialKind = CredentialKind> {
  readonly value: CredentialValues[K]
  readonly expiresAt: number | null
}

/** The record a caller gets: a frozen copy of the envelope (the value is the tier's, frozen in the memory tier). */
export function recordOf<K extends CredentialKind>(record: StoredRecord): CredentialRecord<K> {
  return Object.freeze({ value: record.value as CredentialValues[K], expiresAt: record.expiresAt })
}

/**
 * `E_UNKNOWN_APP` made useful: the apps the bridge does know (dcloudAppid and platforms, never an appid's secret)
 * and, when the bridge was built from files, where they came from (`appsFrom`). Any other error is returned as is.
 * Error path only: nothing here runs on a hit.
 */
export function explainUnknownApp(
  error: unknown,
  apps: ReadonlyArray<Pick<AppConfig, 'dcloudAppid' | 'platform'>>,
  appsFrom: string | undefined,
): unknown {
  if (!isBridgeError(error, 'E_UNKNOWN_APP')) return error
  const platforms = new Map<string, string[]>()
  for (const app of apps) {
    if (app.dcloudAppid === undefined) continue
    platforms.set(app.dcloudAppid, [...(platforms.get(app.dcloudAppid) ?? []), app.platform])
  }
  const known =
    platforms.size === 0
      ? 'no app is configured with a dcloudAppid'
      : `configured: ${[...platforms].map(([id, list]) => `${id} (${list.join(', ')})`).join('; ')}`
  const from = appsFrom === undefined ? '' : `; apps read from ${appsFrom}`
  return new BridgeError('E_UNKNOWN_APP', `${error.message} (${known}${from})`, {
    ...(error.field !== undefined ? { field: error.field } : {}),
  })
}
