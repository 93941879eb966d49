/**
 * `npm run bench:herd` (with herd.bench.ts): what the fence of the refresh lock costs a cold-key herd. The same
 * workers run this checkout (fenced: the holder's write is a compare-and-set on Redis) and, as the baseline, the
 * core (and wechat-fetchers) of `FENCE_BASELINE_REF` (default: the commit before the fence, unfenced: a plain SET), extracted into
 * `.tmp/fence-baseline` and mapped in for those workers only. Rounds alternate between the two, each on its own
 * cold key, over [memory(maxTtl 1000), redis] with a 200 ms token endpoint; p50/p99 are read against the baseline.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { percentile, startFleet, type Fleet } from '../test-support/coordination/fleet.js'
import type { HerdResult, TierSpec } from '../test-support/coordination/protocol.js'
import { startRedisServer } from '../test-support/redis-server.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const BASELINE_REF = process.env.FENCE_BASELINE_REF ?? '8d06e4c'
const PROCESSES = Number(process.env.HERD_PROCESSES ?? 4)
const CALLERS = Number(process.env.HERD_CALLERS ?? 250)
const ROUNDS = 4
const FETCH_MS = 200
const BASELINE_PACKAGES = ['core', 'wechat-fetchers']

/**
 * Extracts the baseline's core and wechat-fetchers sources (the fetchers a worker loads must match the core they
 * import) and writes a tsconfig mapping both packages to them.
 */
function baselineTsconfig(): string {
  const dir = `${ROOT}.tmp/fence-baseline/`
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const archive = execFileSync('git', ['archive', BASELINE_REF, ...BASELINE_PACKAGES.map((p) => `packages/${p}/src`)], {
    cwd: ROOT,
  })
  execFileSync('tar', ['-x', '-C', dir], { input: archive })
  const root = JSON.parse(readFileSync(`${ROOT}tsconfig.json`, 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> }
  }
  const paths: Record<string, string[]> = {}
  for (const [name, [target]] of Object.entries(root.compilerOptions.paths)) {
    const absolute = `${ROOT}${target!.replace(/^\.\//, '')}`
    const baseline = BASELINE_PACKAGES.find((p) => absolute.startsWith(`${ROOT}packages/${p}/src/`))
    paths[name] = [baseline === undefined ? absolute : absolute.replace(`${ROOT}packages/`, `${dir}packages/`)]
  }
  const file = `${dir}tsconfig.json`
  writeFileSync(file, JSON.stringify({ extends: `${ROOT}tsconfig.base.json`, compilerOptions: { paths } }, null, 2))
  return file
}

export async function run(): Promise<void> {
  const tsconfig = baselineTsconfig()
  const redis = await startRedisServer()
  const apps = Array.from({ length: ROUNDS * 2 + 1 }, (_, i) => ({
    platform: 'weixin-h5' as const,
    appid: `wxbenchfence${String(i).padStart(6, '0')}`,
    secret: `bench-fence-secret-${i}`,
  }))
  const fake = await startFakeWeChat({ apps, latencyMs: { token: FETCH_MS } })
  const stores: TierSpec[] = [
    { type: 'memory', maxTtl: 1_000 },
    { type: 'redis', url: redis.url },
  ]
  const config = () => ({ stores, apps, fakeUrl: fake.url })
  const fleets: Fleet[] = []
  try {
    const fenced = await startFleet(PROCESSES, config)
    fleets.push(fenced)
    const unfenced = await startFleet(PROCESSES, config, { tsconfig })
    fleets.push(unfenced)
    console.log(
      `\nherd fence: ${PROCESSES} processes × ${CALLERS} callers, cold key, [memory, redis]; baseline = core at ${BASELINE_REF}`,
    )
    // Warm-up (connections, JIT) on one key each.
    const warm = { appid: apps[ROUNDS * 2]!.appid, platform: 'weixin-h5' } as const
    await fenced.herd({ key: warm, callers: CALLERS, op: 'get' })
    await unfenced.herd({ key: warm, callers: CALLERS, op: 'get' })
    const samples: Record<'fenced' | 'unfenced', number[]> = { fenced: [], unfenced: [] }
    let calls = { fenced: 0, unfenced: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, fleet, app] of [
        ['fenced', fenced, apps[round * 2]!],
        ['unfenced', unfenced, apps[round * 2 + 1]!],
      ] as const) {
        fake.resetCalls()
        const results = await fleet.herd({
          key: { appid: app.appid, platform: 'weixin-h5' },
          callers: CALLERS,
          op: 'get',
        })
        samples[name].push(...latencies(results))
        calls = { ...calls, [name]: calls[name] + fake.calls('token') }
      }
    }
    const line = (name: 'fenced' | 'unfenced') => {
      const ms = samples[name].sort((a, b) => a - b)
      return { p50: percentile(ms, 50), p99: percentile(ms, 99), calls: calls[name] }
    }
    const f = line('fenced')
    const u = line('unfenced')
    console.log(`  unfenced (baseline)  p50 ${f2(u.p50)} ms  p99 ${f2(u.p99)} ms  token calls ${u.calls}/${ROUNDS}`)
    console.log(`  fenced               p50 ${f2(f.p50)} ms  p99 ${f2(f.p99)} ms  token calls ${f.calls}/${ROUNDS}`)
    console.log(`  fenced vs unfenced   p50 ${(f.p50 / u.p50).toFixed(2)}×  p99 ${(f.p99 / u.p99).toFixed(2)}×`)
  } finally {
    await Promise.all(fleets.map((fleet) => fleet.close()))
    await fake.close()
    await redis.stop()
  }
}

function latencies(results: HerdResult[]): number[] {
  return results.flatMap((r) => r.outcomes.map((o) => o.ms))
}

function f2(ms: number): string {
  return ms.toFixed(1)
}
