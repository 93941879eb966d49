import { createKeyring, isBridgeError, type EncryptionOptions } from '@open-bridge/core'
import { ServerError } from '../errors.js'
import type { ConfigFile } from './config-file.js'
import { resolveSecret } from './secret-ref.js'
import { maskInViews } from './secret-view.js'

/**
 * The file's `encryption` as `createBridge` takes it: each key read from the environment (`{ "env": "NAME" }`) and
 * checked now, so a missing, short or malformed key fails at start naming the field and the key id — never the key.
 * Views of the result (inspect, JSON) show `[redacted]` for each key.
 */
export function resolveEncryption(
  raw: ConfigFile['encryption'],
  env: NodeJS.ProcessEnv,
): EncryptionOptions | undefined {
  if (raw === undefined) return undefined
  const keys = raw.keys.map((entry, i) =>
    maskInViews({ id: entry.id, key: resolveSecret(entry.key, `encryption.keys[${i}].key`, env) }, ['key']),
  )
  try {
    createKeyring(keys)
  } catch (error) {
    if (!isBridgeError(error, 'E_INVALID_CONFIG')) throw error
    throw new ServerError('E_INVALID_CONFIG', error.message, { field: error.field ?? 'encryption.keys' })
  }
  return { keys, ...(raw.acceptPlain !== undefined ? { acceptPlain: raw.acceptPlain } : {}) }
}
