import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const childScript = fileURLToPath(new URL('./fixtures/store-process.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'open-bridge-sqlite-mp-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A child process with its own sqliteStore on `path`, driven over stdin/stdout lines. */
class StoreProcess {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #lines: AsyncIterator<string>

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  }

  static async start(path: string): Promise<StoreProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, path], { cwd: repoRoot, stdio: 'pipe' })
    const proc = new StoreProcess(child)
    expect(await proc.#next()).toEqual({ ready: child.pid })
    return proc
  }

  /** Sends one request and waits (at most 20 s) for its answer. */
  async call(op: 'get' | 'set' | 'acquire' | 'release', ...args: unknown[]): Promise<unknown> {
    this.#child.stdin.write(`${JSON.stringify({ op, args })}\n`)
    const answer = (await this.#next()) as { result?: unknown; error?: string }
    if (answer.error !== undefined) throw new Error(`child ${op} failed: ${answer.error}`)
    return answer.result
  }

  /** Ends the process as a crash would (no release, no close). */
  async crash(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.kill('SIGKILL')
    await exited
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.stdin.end()
    await exited
  }

  async #next(): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('child process did not answer within 20 s')), 20_000)
    })
    try {
      const line = await Promise.race([this.#lines.next(), timeout])
      if (line.done) throw new Error('child process closed its output')
      return JSON.parse(line.value)
    } finally {
      clearTimeout(timer)
    }
  }
}

describe('sqliteStore shared by two processes', () => {
  const running: StoreProcess[] = []
  let files = 0
  const startPair = async () => {
    const path = join(dir, `shared-${++files}.db`)
    const pair = await Promise.all([StoreProcess.start(path), StoreProcess.start(path)])
    running.push(...pair)
    return pair
  }
  afterEach(async () => {
    await Promise.all(running.splice(0).map((proc) => proc.stop()))
  })

  it('each process reads what the other wrote', async () => {
    const [a, b] = await startPair()
    const expiresAt = Date.now() + 3_600_000
    expect(await b.call('get', 'uni-id:weixin-mp:wx1:access-token')).toBeNull()
    await a.call('set', 'uni-id:weixin-mp:wx1:access-token', { access_token: 'from-a' }, expiresAt)
    expect(await b.call('get', 'uni-id:weixin-mp:wx1:access-token')).toEqual({
      value: { access_token: 'from-a' },
      expiresAt,
    })
    await b.call('set', 'uni-id:weixin-mp:wx1:access-token', { access_token: 'from-b' }, null)
    expect(await a.call('get', 'uni-id:weixin-mp:wx1:access-token')).toEqual({
      value: { access_token: 'from-b' },
      expiresAt: null,
    })
  })

  it('refuses a lock one process holds to the other until it is released', async () => {
    const [a, b] = await startPair()
    expect(await a.call('acquire', 'refresh', 'token-a', 30_000)).toBe(true)
    expect(await b.call('acquire', 'refresh', 'token-b', 30_000)).toBe(false)
    expect(await b.call('release', 'refresh', 'token-b')).toBe(false)
    expect(await a.call('release', 'refresh', 'token-a')).toBe(true)
    expect(await b.call('acquire', 'refresh', 'token-b', 30_000)).toBe(true)
    expect(await a.call('acquire', 'refresh', 'token-a', 30_000)).toBe(false)
  })

  it('hands the lock of a process that crashed holding it to the other once its TTL has passed', async () => {
    const [a, b] = await startPair()
    expect(await a.call('acquire', 'refresh', 'token-a', 2_000)).toBe(true)
    await a.crash()
    expect(await b.call('acquire', 'refresh', 'token-b', 30_000)).toBe(false)
    await sleep(3_000)
    expect(await b.call('acquire', 'refresh', 'token-b', 30_000)).toBe(true)
  })

  it('gives each contended lock to exactly one of the two processes', async () => {
    const [a, b] = await startPair()
    for (let i = 0; i < 20; i++) {
      const results = await Promise.all([
        a.call('acquire', `race-${i}`, 'token-a', 30_000),
        b.call('acquire', `race-${i}`, 'token-b', 30_000),
      ])
      expect(results.filter((won) => won === true)).toHaveLength(1)
    }
  })
})
