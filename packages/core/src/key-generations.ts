/** What a reader holds while it works: the generation it started from. */
export interface GenerationTicket {
  readonly key: string
  readonly entry: { generation: number; readers: number }
  readonly generation: number
}

/**
 * A per-key generation counter, so a slow copy-down or fill never overwrites a newer `set`, `remove` or
 * refresh of the same key made by this process meanwhile. Readers `begin` before they read and check
 * `changed` before they write; writers `bump` before they write. Entries exist only while a reader is in
 * flight, so the map does not grow with the number of keys ever seen.
 */
export class KeyGenerations {
  readonly #entries = new Map<string, { generation: number; readers: number }>()

  begin(key: string): GenerationTicket {
    let entry = this.#entries.get(key)
    if (entry === undefined) {
      entry = { generation: 0, readers: 0 }
      this.#entries.set(key, entry)
    }
    entry.readers++
    return { key, entry, generation: entry.generation }
  }

  /** Has the key been written or removed since the ticket was taken? */
  changed(ticket: GenerationTicket): boolean {
    return ticket.entry.generation !== ticket.generation
  }

  end(ticket: GenerationTicket): void {
    if (--ticket.entry.readers === 0 && this.#entries.get(ticket.key) === ticket.entry) this.#entries.delete(ticket.key)
  }

  /** A write or delete of `key` starts: every reader in flight for it is now stale. */
  bump(key: string): void {
    const entry = this.#entries.get(key)
    if (entry !== undefined) entry.generation++
  }
}
