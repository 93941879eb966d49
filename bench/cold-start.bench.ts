/**
 * Cold start, as serverless functions and CLI calls pay it: a whole `node` process that imports core, the SQLite
 * tier and the WeChat source (the built packages), makes a bridge, writes one credential and reads it back —
 * paired, run by run, with a bare `node` doing nothing. Both load the same exit hook reporting peak memory and CPU.
 * Reported: medians of wall time, CPU time and peak RSS, and the difference to bare `node` (target: ≤ +100 ms,
 * ≤ +20 MiB). Run `npm run build` first: it measures `dist`, what an app loads.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('./cold-start/', import.meta.url))
const hook = `${dir}report-usage.mjs`
const PAIRS = 15

interface Sample {
  wallMs: number
  cpuMs: number
  maxRssMiB: number
}

function once(args: string[]): Sample {
  const started = performance.now()
  const child = spawnSync(process.execPath, ['--import', hook, ...args], { encoding: 'utf8' })
  const wallMs = performance.now() - started
  if (child.status !== 0) throw new Error(`cold-start probe failed (${child.status}): ${child.stderr}`)
  const line = child.stderr.trim().split('\n').at(-1) ?? ''
  const usage = JSON.parse(line) as { maxRssKiB: number; cpuMs: number }
  return { wallMs, cpuMs: usage.cpuMs, maxRssMiB: usage.maxRssKiB / 1024 }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

export async function run(): Promise<void> {
  const probe = [`${dir}one-set-one-get.mjs`]
  // The same process with undici imported up front, as the WeChat source did before it loaded undici on first use.
  const eager = ['--import', 'undici', `${dir}one-set-one-get.mjs`]
  const bare = ['-e', '0']
  once(probe) // warm the file cache
  once(eager)
  once(bare)
  const a: Sample[] = []
  const e: Sample[] = []
  const b: Sample[] = []
  for (let i = 0; i < PAIRS; i++) {
    a.push(once(probe))
    e.push(once(eager))
    b.push(once(bare))
  }
  const row = (name: string, samples: Sample[]) => ({
    name,
    wall: median(samples.map((s) => s.wallMs)),
    cpu: median(samples.map((s) => s.cpuMs)),
    rss: median(samples.map((s) => s.maxRssMiB)),
  })
  const withBridge = row('core + sqlite + wechat source, 1 set + 1 get', a)
  const eagerUndici = row('the same, undici imported up front (as before)', e)
  const bareNode = row('bare node', b)
  const pairedWall = median(a.map((s, i) => s.wallMs - b[i]!.wallMs))
  const pairedCpu = median(a.map((s, i) => s.cpuMs - b[i]!.cpuMs))
  const savedWall = median(e.map((s, i) => s.wallMs - a[i]!.wallMs))
  console.log(`\ncold start (${PAIRS} pairs, medians; whole processes)`)
  for (const r of [withBridge, eagerUndici, bareNode]) {
    console.log(
      `  ${r.name.padEnd(48)} wall ${r.wall.toFixed(0).padStart(4)} ms  cpu ${r.cpu.toFixed(0).padStart(4)} ms  peak ${r.rss.toFixed(1)} MiB`,
    )
  }
  console.log(
    `  difference (paired medians): wall +${pairedWall.toFixed(0)} ms, cpu +${pairedCpu.toFixed(0)} ms, peak +${(withBridge.rss - bareNode.rss).toFixed(1)} MiB (target ≤ +100 ms, ≤ +20 MiB)`,
  )
  console.log(
    `  loading undici on first use saves (paired median): wall ${savedWall.toFixed(0)} ms, peak ${(eagerUndici.rss - withBridge.rss).toFixed(1)} MiB`,
  )
}
