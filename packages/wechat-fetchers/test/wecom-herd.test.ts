/**
 * The WeCom herd: four real processes × 250 concurrent callers on a cold corp token, over a shared real Redis
 * (started by this test, no persistence), a 200 ms `gettoken` → one gettoken for the whole deployment.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startFakeWecom, type FakeWecom } from '@open-bridge/wechat-fetchers/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const WORKER = fileURLToPath(new URL('./fixtures/wecom-herd-worker.ts', import.meta.url))
const CORP = 'wwherd0000000001'
const AGENT = '1000002'
const SECRET = 'herd-secret-0f1e2d3c4b5a69788796'
const PROCESSES = 4
const CALLERS = 250

type Outcome = { token: string | null } | { error: string }

let redis: RedisServer
let fake: FakeWecom
const children: ChildProcess[] = []
beforeAll(async () => {
  redis = await startRedisServer()
  fake = await startFakeWecom({
    corps: [{ corpId: CORP, agents: [{ agentId: AGENT, secret: SECRET }] }],
    latencyMs: { gettoken: 200 },
  })
})
afterAll(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
          child.once('exit', () => {
            clearTimeout(timer)
            resolve()
          })
          child.disconnect()
        }),
    ),
  )
  await fake?.close()
  await redis?.stop()
})

function start(): Promise<ChildProcess> {
  const child = fork(WORKER, [fake.url, redis.url, CORP, AGENT, SECRET], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TSX_TSCONFIG_PATH: `${ROOT}tsconfig.json`, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child))
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)))
  })
}

function run(child: ChildProcess, startAt: number): Promise<Outcome[]> {
  return new Promise((resolve) => {
    child.once('message', (message: { outcomes: Outcome[] }) => resolve(message.outcomes))
    child.send({ type: 'go', startAt, callers: CALLERS, key: { corpId: CORP, agentId: AGENT } })
  })
}

describe('WeCom herd', () => {
  it('4 processes × 250 callers on a cold corp token → one gettoken, one token for all 1,000', async () => {
    const workers = await Promise.all(Array.from({ length: PROCESSES }, () => start()))
    const startAt = Date.now() + 300
    const outcomes = (await Promise.all(workers.map((worker) => run(worker, startAt)))).flat()
    expect(outcomes).toHaveLength(PROCESSES * CALLERS)
    expect(outcomes.filter((outcome) => 'error' in outcome)).toEqual([])
    const tokens = new Set(outcomes.map((outcome) => (outcome as { token: string }).token))
    expect(tokens.size).toBe(1)
    expect([...tokens][0]).toMatch(/^AT_/)
    expect(fake.calls('gettoken')).toBe(1)
  }, 60_000)
})
