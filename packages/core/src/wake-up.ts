/**
 * What a caller waiting for another process's refresh sleeps on: a pause (the polling floor) that a notice from the
 * lock tier (`CredentialStore.watch`) ends early. A notice that comes while the waiter is busy (reading, trying
 * the lock) is kept for its next pause, which then ends at once: none is lost between two pauses.
 */
export class WakeUp {
  #rang = new Set<string>()
  #wake: (() => void) | undefined

  /** Called by a watch: `what` says which key was written (`record`, `failure`). */
  ring(what: string): void {
    this.#rang.add(what)
    this.#wake?.()
  }

  /**
   * Resolves after `ms` or at the first notice, with what rang meanwhile (empty after a plain pause); rejects with
   * `signal.reason` once `signal` aborts (the bridge closing).
   */
  sleep(ms: number, signal: AbortSignal): Promise<ReadonlySet<string>> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        this.#wake = undefined
        const rang = this.#rang
        this.#rang = new Set()
        resolve(rang)
      }
      const onAbort = () => {
        clearTimeout(timer)
        this.#wake = undefined
        reject(signal.reason)
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', onAbort, { once: true })
      if (this.#rang.size > 0) done()
      else this.#wake = done
    })
  }
}
