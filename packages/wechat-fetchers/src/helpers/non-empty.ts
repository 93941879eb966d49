import { invalidArgument } from '../errors.js'

/** A required string argument, or E_INVALID_ARGUMENT naming `field`. */
export function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(field, 'must be a non-empty string')
  return value
}
