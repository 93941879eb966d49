import { invalidConfig } from '../errors.js'
import type { SecretRef } from './config-file.js'

/**
 * Turns a `SecretRef` into the secret. `{ "env": "NAME" }` reads the environment, so the file can be committed
 * without the secret; an unset or empty variable is a config error that names the field and the variable.
 */
export function resolveSecret(ref: SecretRef, field: string, env: NodeJS.ProcessEnv): string {
  if (typeof ref === 'string') return ref
  const value = env[ref.env]
  if (value === undefined || value.length === 0) {
    throw invalidConfig(field, `names environment variable ${ref.env}, which is not set`)
  }
  return value
}
