import { ServerError } from '../errors.js'

/** A `BridgeError`-shaped config error from a component, re-issued with the field as the config file names it. */
export function renamedConfigError(error: unknown, rename: (field: string) => string): unknown {
  const { code, field, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown
    field?: unknown
    message?: unknown
  }
  if (
    (code !== 'E_INVALID_CONFIG' && code !== 'E_INVALID_ARGUMENT') ||
    typeof field !== 'string' ||
    typeof message !== 'string'
  )
    return error
  const to = rename(field)
  return new ServerError(
    'E_INVALID_CONFIG',
    message.startsWith(field) ? `${to}${message.slice(field.length)}` : `${to}: ${message}`,
    {
      field: to,
    },
  )
}
