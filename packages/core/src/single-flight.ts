/**
 * In-process single-flight: concurrent calls for one name share one run of the work.
 * The result (or the error) reaches every waiter; nothing is remembered once the run settles.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>()

  run(name: string, work: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(name)
    if (running) return running
    // The work starts on the next microtask, so the entry is in the map before it can settle.
    const started = Promise.resolve()
      .then(work)
      .finally(() => this.#inFlight.delete(name))
    this.#inFlight.set(name, started)
    return started
  }

  /** Is a run for `name` in flight? */
  has(name: string): boolean {
    return this.#inFlight.has(name)
  }
}
