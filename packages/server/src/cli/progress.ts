/** Where a progress display writes: stderr, or any stream shaped like it (a test's capture). */
export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
}

/** How often a line is drawn at most: a terminal is redrawn in place, a log gets a line per step. */
const TTY_INTERVAL_MS = 100
const LOG_INTERVAL_MS = 2_000
const BAR_WIDTH = 24

/**
 * The progress line of a walk over a store (`rekey`, `copy`, `import`, `export`): a bar when the total is known, the
 * records done, the rate and the counts so far. On a terminal it redraws one line; elsewhere (a log, CI) it writes a
 * line every 2 s at most. Counts only: a key or a value is never shown.
 */
export class Progress {
  readonly #stream: ProgressStream
  readonly #label: string
  readonly #started = Date.now()
  readonly #tty: boolean
  #total: number | undefined
  #done = 0
  #drawnAt = 0
  #drawn = false

  constructor(stream: ProgressStream, label: string, total?: number) {
    this.#stream = stream
    this.#label = label
    this.#total = total
    this.#tty = stream.isTTY === true
  }

  /** One more record handled; `counts` are drawn as they stand. */
  step(counts: Readonly<Record<string, number>>): void {
    this.#done++
    const now = Date.now()
    if (now - this.#drawnAt < (this.#tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS)) return
    this.#drawnAt = now
    this.#draw(counts)
  }

  /** The last line (100 % when the total was known); a terminal's line is ended so what follows starts clean. */
  finish(counts: Readonly<Record<string, number>>): void {
    if (this.#total !== undefined && this.#done > this.#total) this.#total = this.#done
    this.#draw(counts)
    if (this.#tty && this.#drawn) this.#stream.write('\n')
  }

  #draw(counts: Readonly<Record<string, number>>): void {
    const seconds = Math.max((Date.now() - this.#started) / 1000, 0.001)
    const rate = Math.round(this.#done / seconds)
    const parts = [`${this.#label}:`]
    if (this.#total !== undefined && this.#total > 0) {
      const share = Math.min(this.#done / this.#total, 1)
      const filled = Math.round(share * BAR_WIDTH)
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}%`)
      parts.push(`${this.#done.toLocaleString('en')} / ${this.#total.toLocaleString('en')}`)
    } else {
      parts.push(`${this.#done.toLocaleString('en')} records`)
    }
    parts.push(`${rate.toLocaleString('en')}/s`)
    const tally = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${n.toLocaleString('en')} ${name}`)
    if (tally.length > 0) parts.push(`(${tally.join(', ')})`)
    const line = parts.join(' ')
    this.#stream.write(this.#tty ? `\r\u001b[2K${line}` : `${line}\n`)
    this.#drawn = true
  }
}

/** No display: what a walk uses when progress is off (`--json`, or stderr not a terminal and no `--progress`). */
export const NO_PROGRESS = {
  step(): void {},
  finish(): void {},
} satisfies Pick<Progress, 'step' | 'finish'>

export type ProgressDisplay = Pick<Progress, 'step' | 'finish'>
