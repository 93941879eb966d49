/**
 * `npm run bench:authorizers`: third-party platforms at scale.
 * 1. An authorizer-token memory hit against a first-party hit, same bridge, same run (target ≤ 1.1×): both are the
 *    built-in `access_token` kind, so the authorizer's read is the first-party path.
 * 2. 10,000 authorizers (OPEN_BRIDGE_AUTHORIZERS) on [memory, sqlite] and on [memory, redis], the fake's token life
 *    shortened (45 s, stored 40 s, refreshed 15 s ahead) so every account rotates during the run: callers read every account
 *    round-robin and make a business call with what they read. Reported: `api_authorizer_token` calls against the
 *    tokens the callers were served (a call whose token nobody was served is wasted), business calls rejected, and
 *    the heap per 1,000 authorizers held.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, type CredentialStore } from '@open-bridge/core'
import { applyComponentPush, rebuildAuthorizers, wechatSource } from '@open-bridge/wechat-fetchers'
import { startFakeWeChat } from '@open-bridge/wechat-fetchers/testing'
import { startRedisServer } from '../test-support/redis-server.js'
import { compare } from './measure.js'

const C = {
  appid: 'wxc0mp0nentbench001',
  secret: 'component-secret-bench-0001',
  token: 'pushTokenBench',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
}
const COUNT = Number(process.env.OPEN_BRIDGE_AUTHORIZERS ?? 10_000)
const DURATION_MS = Number(process.env.OPEN_BRIDGE_AUTHORIZERS_MS ?? 60_000)
const TOKEN_LIFE_S = 45
const account = (i: number) => `wxauth${i.toString(16).padStart(12, '0')}`

export async function run(): Promise<void> {
  await hitRatio()
  const redis = await startRedisServer()
  const dir = mkdtempSync(join(tmpdir(), 'ob-bench-auth-'))
  try {
    await rotation('[memory, sqlite]', () => [
      memoryStore({ max: COUNT * 3 }),
      sqliteStore({ path: join(dir, 'a.db') }),
    ])
    await rotation('[memory, redis]', () => [memoryStore({ max: COUNT * 3 }), redisStore({ url: redis.url })])
  } finally {
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** An authorizer's memory hit and a first-party app's, interleaved rounds of the same bridge. */
async function hitRatio(): Promise<void> {
  const fake = await startFakeWeChat({ components: [C] })
  const bridge = createBridge({
    stores: [memoryStore()],
    apps: [{ platform: 'weixin-h5', appid: 'wxfirstparty000001', secret: 'first-party-secret' }],
    source: wechatSource({
      baseUrl: fake.url,
      openPlatform: { components: [{ componentAppid: C.appid, componentSecret: C.secret }] },
    }),
  })
  const firstParty = { appid: 'wxfirstparty000001', platform: 'weixin-h5' } as const
  const authorizer = { appid: account(1), platform: 'weixin-h5' } as const
  const value = { access_token: 'ACCESS_TOKEN'.repeat(10) }
  await bridge.setAccessToken(firstParty, value, 3600)
  await bridge.setAccessToken(authorizer, value, 3600)
  const first = 'first-party getAccessToken (memory hit)'
  const results = await compare(
    'authorizer-token memory hit vs first-party hit (1,000,000 awaited calls per round, median of 9)',
    [
      { name: first, run: () => bridge.getAccessToken(firstParty) },
      { name: 'authorizer getAccessToken (memory hit)', run: () => bridge.getAccessToken(authorizer) },
    ],
    { iterations: 1_000_000, baselines: [first] },
  )
  const ratio = results.get('authorizer getAccessToken (memory hit)')!.nsPerOp / results.get(first)!.nsPerOp
  console.log(`  authorizer / first-party: ${ratio.toFixed(2)}× (target ≤ 1.1×)`)
  await bridge.close()
  await fake.close()
}

async function rotation(name: string, stores: () => CredentialStore[]): Promise<void> {
  // Authorizer tokens live 30 s; the component token keeps WeChat's 7200 s (it is one token, not the subject here).
  const fake = await startFakeWeChat({
    components: [C],
    tokenLifetimeSeconds: TOKEN_LIFE_S,
    graceSeconds: 30,
    componentTokenLifetimeSeconds: 7200,
  })
  for (let i = 0; i < COUNT; i++) await fake.authorize(C.appid, account(i))
  // The fake's own state is in this process too: the baseline is taken once it is built.
  globalThis.gc?.()
  const heapBase = process.memoryUsage().heapUsed
  const bridge = createBridge({
    stores: stores(),
    source: wechatSource({
      baseUrl: fake.url,
      retry: { retries: 1, minDelayMs: 50, maxDelayMs: 200 },
      expiryMarginSeconds: 5,
      openPlatform: { components: [{ componentAppid: C.appid, componentSecret: C.secret }] },
    }),
    refreshAhead: 15_000,
  })
  try {
    const { ticket } = await fake.pushTicket(C.appid)
    await applyComponentPush(bridge, {
      fields: { AppId: C.appid, InfoType: 'component_verify_ticket', ComponentVerifyTicket: ticket },
    })
    // Every refresh token and home from the list, as after a lost tier (and as onboarding would have left them).
    const setupStart = performance.now()
    const rebuilt = await rebuildAuthorizers(bridge, C.appid, { concurrency: 32 })
    const setupMs = performance.now() - setupStart
    fake.resetCalls()
    const tokensBefore = fake.tokensIssued()
    // Fetches that failed, by why they ran and their code (a background refresh-ahead's failure reaches no caller).
    const fetchErrors = new Map<string, number>()
    bridge.on('fetch-error', ({ reason, error }) => {
      const name = `${reason}:${String((error as { code?: unknown }).code)}`
      fetchErrors.set(name, (fetchErrors.get(name) ?? 0) + 1)
    })
    const served = new Set<string>()
    let reads = 0
    let businessCalls = 0
    let rejected = 0
    let failures = 0
    const reasons = new Map<string, number>()
    let next = 0
    const end = Date.now() + DURATION_MS
    const caller = async () => {
      while (Date.now() < end) {
        const i = next
        next = (next + 1) % COUNT
        try {
          const read = await bridge.getAccessToken({ appid: account(i), platform: 'weixin-h5' })
          if (read === null) throw Object.assign(new Error('null'), { code: 'resolved null' })
          const token = read.access_token
          reads++
          served.add(token)
          // A business call for one read in 20 (the fake is in this process too).
          if (reads % 20 === 0) {
            businessCalls++
            const reply = await fetch(`${fake.url}/fake/business?access_token=${token}`)
            if (((await reply.json()) as { errcode: number }).errcode !== 0) rejected++
          }
        } catch (error) {
          failures++
          const e = error as { code?: unknown; errcode?: unknown }
          const reason =
            typeof e.code === 'string'
              ? `${e.code}${e.errcode === undefined ? '' : `/${String(e.errcode)}`}`
              : String((error as Error).message).slice(0, 60)
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
        }
      }
    }
    await Promise.all(Array.from({ length: 64 }, caller))
    const calls = fake.calls('authorizer_token')
    // Tokens the fake issued through api_authorizer_token (every issued token, less the component tokens).
    const issued = fake.tokensIssued() - tokensBefore - fake.calls('component_token')
    const servedCount = served.size
    served.clear()
    globalThis.gc?.()
    const heapHeld = process.memoryUsage().heapUsed - heapBase
    console.log(
      `\n${name}, ${COUNT.toLocaleString('en-US')} authorizers, token life ${TOKEN_LIFE_S} s, ${DURATION_MS / 1000} s of reads:` +
        `\n  setup: rebuildAuthorizers wrote ${rebuilt.written} refresh tokens + homes in ${(setupMs / 1000).toFixed(1)} s` +
        `\n  reads ${reads.toLocaleString('en-US')}, failures ${failures} ${JSON.stringify(Object.fromEntries(reasons))}; business calls ${businessCalls.toLocaleString('en-US')}, rejected ${rejected}` +
        `\n  api_authorizer_token calls ${calls.toLocaleString('en-US')}, tokens issued ${issued.toLocaleString('en-US')}, distinct tokens served ${servedCount.toLocaleString('en-US')}` +
        ` → issued but never served ${Math.max(0, issued - servedCount)}; api_component_token calls ${fake.calls('component_token')}` +
        `\n  fetches failed: ${JSON.stringify(Object.fromEntries(fetchErrors))}` +
        `\n  heap held: ${(heapHeld / 1024 / 1024).toFixed(1)} MiB for ${COUNT.toLocaleString('en-US')} authorizers` +
        ` ≈ ${(heapHeld / 1024 / (COUNT / 1000)).toFixed(0)} KiB per 1,000 (bridge, tiers, source; includes the fake's tokens issued during the run${globalThis.gc ? '' : '; run with NODE_OPTIONS=--expose-gc for a settled figure'})`,
    )
  } finally {
    await bridge.close()
    await fake.close()
  }
}
