import { BridgeError, describeType } from './errors.js'
import type { EventHub } from './events.js'
import { isInProcessStore } from './in-process-store.js'
import { createKeyring, type EncryptionKey, type EncryptionKeyProvider, type Keyring } from './keyring.js'
import { sealedStore } from './sealed-store.js'
import type { CredentialStore } from './store.js'

/** `createBridge({ encryption })`: credentials sealed at rest in every tier outside the process. */
export interface EncryptionOptions {
  /**
   * The keys, newest first: the first seals every write, every one opens (add the new key first, run `rekey`,
   * then drop the old one). Or a function resolving them (a KMS, Vault), called at start and, at most once per
   * `reloadInterval`, when a record names a key id the keyring does not hold.
   */
  keys: readonly EncryptionKey[] | EncryptionKeyProvider
  /**
   * Migration: read plain records (written before encryption was switched on) as they are; each is sealed on its
   * next write. Default `false`: a plain record does not open (`E_SEAL_OPEN_FAILED`, reason `plain`).
   */
  acceptPlain?: boolean
  /** Least time between two key-provider reloads for unknown key ids, in ms. Default 60,000. */
  reloadInterval?: number
}

/**
 * The tiers as the bridge uses them: each tier outside the process wrapped in `sealedStore`, sharing one keyring
 * (a key provider is asked once, now). A record that does not open is reported as a `seal-open-failed` event.
 */
export function sealTiers(stores: CredentialStore[], encryption: unknown, events: EventHub): CredentialStore[] {
  if (typeof encryption !== 'object' || encryption === null) {
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `encryption must be an object { keys, acceptPlain? }, got ${describeType(encryption)}`,
      { field: 'encryption' },
    )
  }
  const options = encryption as Partial<EncryptionOptions>
  if (options.acceptPlain !== undefined && typeof options.acceptPlain !== 'boolean') {
    throw new BridgeError(
      'E_INVALID_CONFIG',
      `encryption.acceptPlain must be a boolean, got ${describeType(options.acceptPlain)}`,
      {
        field: 'encryption.acceptPlain',
      },
    )
  }
  const keyring: Keyring = createKeyring(options.keys as EncryptionOptions['keys'], {
    ...(options.reloadInterval !== undefined ? { reloadInterval: options.reloadInterval } : {}),
  })
  // Loaded at start; a failure now is retried by the first read or write (and reported there, as a tier error).
  if (!keyring.ready) keyring.keys().catch(() => undefined)
  return stores.map((store) =>
    isInProcessStore(store)
      ? store
      : sealedStore(store, {
          keyring,
          acceptPlain: options.acceptPlain === true,
          onOpenFailed: (error) => {
            if (events.has('seal-open-failed')) {
              events.emit('seal-open-failed', {
                tier: error.tier,
                storageKey: error.storageKey,
                keyId: error.keyId,
                reason: error.reason,
                surfaced: error.durable,
              })
            }
          },
        }),
  )
}
