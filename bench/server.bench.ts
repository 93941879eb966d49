/**
 * `npm run bench:server`: autocannon on `POST /getAccessToken` of the open-bridge server (signed, allow-listed,
 * memory hit) against a bare fastify route answering a constant, in the same run with the same connections.
 *
 * Fairness: both servers run in one child process (so autocannon, in this process, does not share their event
 * loop), take turns in interleaved rounds (drift hits both alike), and receive byte-for-byte the same kind of
 * request: the same JSON body and a fresh signature per request (autocannon's `setupRequest` signs each one,
 * so the client does the same work for both; the bare route parses the body with fastify's default parser and
 * ignores the headers). Every answer must be a 200, or the run is void — a replay refusal would be fast.
 * Reported: the median requests/s and p99 latency of each target, and the median of the rounds' ratios (each
 * round's pair ran back to back, in ABBA order). The servers are the built packages (`npm run build` first).
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { signRequest } from '@open-bridge/server'

/** The part of autocannon's API used here (the package ships no types). */
interface CannonRequest {
  method?: string
  path?: string
  body?: string
  headers?: Record<string, string>
  setupRequest?: (request: CannonRequest) => CannonRequest
}
interface CannonResult {
  requests: { average: number; total: number }
  latency: { p99: number }
  non2xx: number
  errors: number
  timeouts: number
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string
  connections: number
  duration: number
  requests: CannonRequest[]
}) => Promise<CannonResult>

const SECRET = 'bench-signing-secret-0123456789'
const BODY = JSON.stringify({ dcloudAppid: '__UNI__BENCH', platform: 'weixin-mp' })
const PATH = '/getAccessToken'
const CONNECTIONS = 10
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 3)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const TOKEN = { access_token: 'A'.repeat(150), expires_in: 7200 }

interface Round {
  rps: number
  p99: number
  /** Server-process CPU time per request, in µs (user + system, measured in the child around the round). */
  cpuUs: number
}

export async function run(): Promise<void> {
  const self = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, ['--import', 'tsx', self], {
    env: { ...process.env, OB_BENCH_SERVER_CHILD: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  try {
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
    const first = await lines.next()
    const ports = JSON.parse(String(first.value)) as { server: number; redis: number; bare: number; sources: number }
    /** The child's CPU time so far, in µs: the machine is shared, and CPU per request is what load does not bend. */
    const cpu = async (): Promise<number> => {
      child.stdin!.write('cpu\n')
      return Number((await lines.next()).value)
    }
    const round = async (port: number, seconds: number): Promise<Round> => {
      const before = await cpu()
      const result = await cannon(port, seconds)
      return { ...result, cpuUs: ((await cpu()) - before) / result.total }
    }
    const targets = {
      'open-bridge POST /getAccessToken (signed, allow-listed, memory hit; nonces in-process)': ports.server,
      'the same, nonces claimed in a shared Redis (SET NX PX per request)': ports.redis,
      'bare fastify route (constant)': ports.bare,
      'open-bridge as the first line, from the sources through tsx (not what users run)': ports.sources,
    }
    const rounds = new Map<string, Round[]>(Object.keys(targets).map((name) => [name, []]))

    for (const port of Object.values(targets)) await cannon(port, 1) // warm-up: JIT, sockets
    const entries = Object.entries(targets)
    for (let i = 0; i < ROUNDS; i++) {
      // ABBA order: neither target always runs right after the other.
      for (const [name, port] of i % 2 === 0 ? entries : [...entries].reverse())
        rounds.get(name)!.push(await round(port, ROUND_SECONDS))
    }

    const [ours, shared, bare, sources] = [...rounds.values()] as [Round[], Round[], Round[], Round[]]
    // Each round's pair ran back to back, so its ratio is the least disturbed by the machine's other load.
    const rpsRatio = median(ours.map((r, i) => r.rps / bare[i]!.rps))
    const p99Ratio = median(ours.map((r, i) => r.p99 / bare[i]!.p99))
    const cpuRatio = median(ours.map((r, i) => bare[i]!.cpuUs / r.cpuUs))
    console.log(
      `\nserver: HTTP, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${ROUND_SECONDS}s per target (ABBA order), medians`,
    )
    const width = Math.max(...entries.map(([n]) => n.length))
    for (const [name, list] of rounds) {
      const all = list.map((r) => fmt(r.rps, 0)).join(' ')
      console.log(
        `  ${name.padEnd(width)}  ${fmt(median(list.map((r) => r.rps)), 0).padStart(9)} req/s  p99 ${fmt(
          median(list.map((r) => r.p99)),
          2,
        ).padStart(6)} ms` +
          `  server CPU ${fmt(median(list.map((r) => r.cpuUs)), 1).padStart(6)} µs/req   (rounds: ${all} req/s)`,
      )
    }
    console.log(
      `  ratio (median of the rounds' pairs): ${rpsRatio.toFixed(2)}× the bare route's req/s (target ≥ 0.85), p99 ${p99Ratio.toFixed(
        2,
      )}× (target ≤ 2)`,
    )
    console.log(
      `  fleet-wide replay protection (Redis nonces) vs in-process: ${median(
        shared.map((r, i) => r.rps / ours[i]!.rps),
      ).toFixed(
        2,
      )}× the req/s, ${median(shared.map((r, i) => r.cpuUs / ours[i]!.cpuUs)).toFixed(2)}× the server CPU per request`,
    )
    console.log(
      `  the build vs the sources through tsx: ${median(ours.map((r, i) => r.cpuUs / sources[i]!.cpuUs)).toFixed(
        2,
      )}× the server CPU per request`,
    )
    console.log(
      `  server CPU per request: the bare route's is ${cpuRatio.toFixed(
        2,
      )}× open-bridge's (the req/s ratio a CPU-bound server would reach)`,
    )
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
}

async function cannon(port: number, seconds: number): Promise<{ rps: number; p99: number; total: number }> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: PATH,
        setupRequest: (request) => ({
          ...request,
          body: BODY,
          headers: {
            ...request.headers,
            'content-type': 'application/json',
            ...signRequest({ secret: SECRET, method: 'POST', path: PATH, body: BODY, audience: `127.0.0.1:${port}` }),
          },
        }),
      },
    ],
  })
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `bench void: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts on port ${port}`,
    )
  }
  return { rps: result.requests.average, p99: result.latency.p99, total: result.requests.total }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function fmt(value: number, digits: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/** A package's build (`dist`), loaded by URL so the typecheck does not need a build to exist. */
function built(name: string): Promise<unknown> {
  return import(new URL(`../packages/${name}/dist/index.js`, import.meta.url).href)
}

/** The child: both servers, then their ports on stdout; it lives until the parent ends it. */
async function serveBoth(): Promise<void> {
  const [{ createBridge, memoryStore }, { buildApp }, { default: Fastify }, { redisStore }, { startRedisServer }] =
    await Promise.all([
      // The builds, as an app runs them (`npm run build` first): the sources through tsx carry its transform's
      // helpers (a `__name` call per closure made per request), which the build has not.
      built('core') as Promise<typeof import('@open-bridge/core')>,
      built('server') as Promise<typeof import('@open-bridge/server')>,
      import('fastify'),
      built('adapter-redis') as Promise<typeof import('@open-bridge/adapter-redis')>,
      import('../test-support/redis-server.js'),
    ])
  const redis = await startRedisServer()
  const nonceTier = redisStore({ url: redis.url })
  const bridge = createBridge({
    stores: [memoryStore()],
    apps: [{ dcloudAppid: '__UNI__BENCH', platform: 'weixin-mp', appid: 'wxbench0000000001', secret: 'unused' }],
  })
  await bridge.setAccessToken({ dcloudAppid: '__UNI__BENCH', platform: 'weixin-mp' }, TOKEN, -1)
  // OB_BENCH_AUTH (none | ip | sign) isolates one check when looking for a cost; the default is both.
  const mode = process.env.OB_BENCH_AUTH ?? 'both'
  const auth = {
    ...(mode === 'both' || mode === 'sign' ? { signingSecret: SECRET } : {}),
    ...(mode === 'both' || mode === 'ip' ? { ipAllowList: ['127.0.0.1/32', '::1'] } : {}),
  }
  const server = buildApp({ bridge, auth, logger: false })
  // The same app with nonces claimed in Redis too: what startServer does when the first shared tier is Redis.
  const withRedis = buildApp({ bridge, auth, logger: false, sharedNonces: { lock: nonceTier.lock!, name: 'redis' } })
  // The same app built from the sources through tsx: what every bench measured before; not what users run.
  const fromSources = (await import('@open-bridge/server')).buildApp({ bridge, auth, logger: false })
  const bare = Fastify({ logger: false })
  bare.post(PATH, () => TOKEN)
  await server.listen({ host: '127.0.0.1', port: 0 })
  await withRedis.listen({ host: '127.0.0.1', port: 0 })
  await bare.listen({ host: '127.0.0.1', port: 0 })
  await fromSources.listen({ host: '127.0.0.1', port: 0 })
  const port = (app: { server: { address(): unknown } }) => (app.server.address() as { port: number }).port
  process.stdout.write(
    `${JSON.stringify({ server: port(server), redis: port(withRedis), bare: port(bare), sources: port(fromSources) })}\n`,
  )
  // 'cpu' on stdin → this process's CPU time in µs on stdout.
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', () => {
    const { user, system } = process.cpuUsage()
    process.stdout.write(`${user + system}\n`)
  })
  process.once('SIGTERM', () => {
    void Promise.all([server.close(), withRedis.close(), bare.close(), fromSources.close()])
      .then(() => Promise.all([bridge.close(), nonceTier.close()]))
      .then(() => redis.stop())
      .then(() => process.exit(0))
  })
}

if (process.env.OB_BENCH_SERVER_CHILD === '1') await serveBoth()
