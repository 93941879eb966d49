import { Counter, Gauge, type Registry } from 'prom-client'

/** One series' labels. */
export type SeriesLabels<L extends string> = Partial<Record<L, string>>

/**
 * The metric setup the service's metric files share: counters and gauges in one registry (never prom-client's
 * global one), counters whose series start at 0 (so an alert sees the first increase at once), and gauges sampled
 * at scrape time from a list of things, each sample guarded (a tier that does not answer leaves its series out
 * rather than a wrong value).
 */
export interface MetricFactory {
  counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    zeroed?: ReadonlyArray<SeriesLabels<L>>,
  ): Counter<L>
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L>
  /**
   * A gauge whose series are read at each scrape: every item of `items()` is sampled (in parallel); a sample that
   * resolves `undefined` or throws leaves that series out. The previous scrape's series are dropped first.
   */
  sampledGauge<L extends string, T>(
    name: string,
    help: string,
    labelNames: readonly L[],
    items: () => readonly T[],
    sample: (item: T) => Promise<{ labels: SeriesLabels<L>; value: number } | undefined>,
  ): Gauge<L>
}

export function metricFactory(registry: Registry): MetricFactory {
  const registers = [registry]
  return {
    counter(name, help, labelNames, zeroed = []) {
      const counter = new Counter({ name, help, labelNames, registers })
      for (const labels of zeroed) counter.inc(labels, 0)
      return counter
    },
    gauge: (name, help, labelNames) => new Gauge({ name, help, labelNames, registers }),
    sampledGauge(name, help, labelNames, items, sample) {
      return new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset()
          await Promise.all(
            items().map(async (item) => {
              try {
                const found = await sample(item)
                if (found !== undefined) this.set(found.labels, found.value)
              } catch {
                // No sample (the tier metrics say why) rather than a wrong one.
              }
            }),
          )
        },
      })
    },
  }
}

/**
 * The `errcode` label of a failure: the platform's errcode when it gave one (read structurally: the error may come
 * from another copy of a package), else an open-bridge error code (`E_TIMEOUT`), else `other`. Never free text.
 */
export function errcodeLabel(error: unknown): string {
  const { errcode, code } = (typeof error === 'object' && error !== null ? error : {}) as {
    errcode?: unknown
    code?: unknown
  }
  if (typeof errcode === 'number' && Number.isSafeInteger(errcode)) return String(errcode)
  if (typeof code === 'string' && /^E_[A-Z_]{1,40}$/.test(code)) return code
  return 'other'
}
