import { inspect } from 'node:util'

/**
 * Gives `target` a `toJSON` and a `util.inspect` view with the `keys` masked, so logging, printing or
 * serialising a resolved config never shows a secret. Reading the property (or spreading the object) still
 * gives the real value: only the views change. Both are non-enumerable, so copies do not carry them.
 * `mask` says what a view shows instead of a value (default `[redacted]`; a URL keeps its shape with
 * core's `redactUrl`).
 */
export function maskInViews<T extends object>(
  target: T,
  keys: ReadonlyArray<keyof T & string>,
  mask: (value: unknown) => unknown = () => '[redacted]',
): T {
  const masked = () => {
    const copy = { ...target } as Record<string, unknown>
    for (const key of keys) if (copy[key] !== undefined) copy[key] = mask(copy[key])
    return copy
  }
  Object.defineProperty(target, 'toJSON', { value: masked, enumerable: false })
  Object.defineProperty(target, inspect.custom, {
    value: (depth: number, options: object) => inspect(masked(), { ...options, depth }),
    enumerable: false,
  })
  return target
}
