import { BridgeError } from './errors.js'

/**
 * Runs one source or fallback call with its own `AbortSignal`, aborted after `timeoutMs` (the call then rejects
 * `E_FETCH_TIMEOUT` at once, whatever the work does) or when `closing` aborts (it rejects with that reason).
 * A late answer is dropped: nothing waits for it and nothing stores it.
 */
export function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T> | T,
  timeoutMs: number,
  closing: AbortSignal,
): Promise<T> {
  const controller = new AbortController()
  return new Promise<T>((resolve, reject) => {
    const abort = (reason: unknown) => {
      controller.abort(reason)
      reject(reason)
    }
    const onClose = () => abort(closing.reason)
    const timer = setTimeout(
      () => abort(new BridgeError('E_FETCH_TIMEOUT', `the fetch did not answer within fetchTimeout (${timeoutMs} ms)`)),
      timeoutMs,
    )
    if (closing.aborted) onClose()
    else closing.addEventListener('abort', onClose, { once: true })
    Promise.resolve()
      .then(() => {
        if (controller.signal.aborted) throw controller.signal.reason
        return work(controller.signal)
      })
      .then(resolve, reject)
      .finally(() => {
        clearTimeout(timer)
        closing.removeEventListener('abort', onClose)
      })
  })
}
