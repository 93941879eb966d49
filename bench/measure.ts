/**
 * A small, honest micro-benchmark harness: candidates run in interleaved rounds (so drift hits all of them
 * alike), each round times a fixed number of awaited operations, and the median round is reported.
 * Figures are printed as ns/op, ops/s and ratios against baselines measured in the same run.
 */
import { performance } from 'node:perf_hooks'

export interface Candidate {
  name: string
  /** One call; awaited. */
  run: () => unknown
  /** How many operations one call performs (e.g. 64 for a batch of 64 in flight). Default 1. */
  opsPerRun?: number
}

export interface CompareOptions {
  /** Calls per round. */
  iterations: number
  /** Rounds per candidate; the median is reported. Default 9. */
  rounds?: number
  /** Candidates to state every other candidate against. */
  baselines: string[]
}

export interface Result {
  name: string
  nsPerOp: number
  opsPerSec: number
}

export async function compare(
  title: string,
  candidates: Candidate[],
  options: CompareOptions,
): Promise<Map<string, Result>> {
  const rounds = options.rounds ?? 9
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]))
  for (const candidate of candidates) await time(candidate, Math.max(1, Math.floor(options.iterations / 4))) // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const candidate of candidates) samples.get(candidate.name)!.push(await time(candidate, options.iterations))
  }
  const results = new Map<string, Result>()
  for (const candidate of candidates) {
    const nsPerOp = median(samples.get(candidate.name)!)
    results.set(candidate.name, { name: candidate.name, nsPerOp, opsPerSec: 1e9 / nsPerOp })
  }
  print(title, results, options.baselines)
  return results
}

async function time(candidate: Candidate, iterations: number): Promise<number> {
  const run = candidate.run
  const start = performance.now()
  for (let i = 0; i < iterations; i++) await run()
  const elapsedMs = performance.now() - start
  return (elapsedMs * 1e6) / (iterations * (candidate.opsPerRun ?? 1))
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function print(title: string, results: Map<string, Result>, baselines: string[]): void {
  console.log(`\n${title}`)
  const width = Math.max(...[...results.keys()].map((name) => name.length))
  for (const result of results.values()) {
    const ratios = baselines
      .filter((name) => name !== result.name && results.has(name))
      .map((name) => {
        const base = results.get(name)!
        return `${(result.nsPerOp / base.nsPerOp).toFixed(2)}× the cost (${(base.nsPerOp / result.nsPerOp).toFixed(2)}× the throughput) of ${name}`
      })
    console.log(
      `  ${result.name.padEnd(width)}  ${fmt(result.nsPerOp, 1).padStart(10)} ns/op  ${fmt(result.opsPerSec, 0).padStart(12)} ops/s${ratios.length ? `   ${ratios.join('; ')}` : ''}`,
    )
  }
}

function fmt(value: number, digits: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}
