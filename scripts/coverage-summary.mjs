// Prints the coverage of each package's src from coverage/coverage-summary.json (written by
// `vitest run --coverage`). The floors themselves live in vitest.config.ts, which enforces them.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const summary = JSON.parse(readFileSync(new URL('../coverage/coverage-summary.json', import.meta.url), 'utf8'))
const metrics = ['statements', 'branches', 'functions', 'lines']
const packages = new Map()
for (const [file, figures] of Object.entries(summary)) {
  if (file === 'total') continue
  const name = /^packages\/([^/]+)\/src\//.exec(relative(root, file))?.[1]
  if (name === undefined) continue
  const sums = packages.get(name) ?? Object.fromEntries(metrics.map((metric) => [metric, { covered: 0, total: 0 }]))
  for (const metric of metrics) {
    sums[metric].covered += figures[metric].covered
    sums[metric].total += figures[metric].total
  }
  packages.set(name, sums)
}
const pct = ({ covered, total }) => (total === 0 ? 100 : (100 * covered) / total).toFixed(1).padStart(6)
console.log(`${'package'.padEnd(24)}${metrics.map((metric) => metric.padStart(12)).join('')}`)
for (const [name, sums] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`${name.padEnd(24)}${metrics.map((metric) => `${pct(sums[metric])}%`.padStart(12)).join('')}`)
}
