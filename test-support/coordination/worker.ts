/**
 * A bridge in its own process, driven by the parent over IPC (see fleet.ts). Run with `node --import tsx`
 * from the repository root, so the `@open-bridge/*` imports resolve to the sources (tsconfig paths), as in
 * the tests. It builds a bridge from the `init` config, with `wechatSource` pointed at the fake WeChat,
 * answers `ready`, then runs one command at a time and answers its result. It exits when the parent goes.
 */
import { createBridge, memoryStore, type CredentialBridge, type CredentialStore } from '@open-bridge/core'
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import type {
  CallOutcome,
  Command,
  ErrorSummary,
  HerdCommand,
  HerdResult,
  LoopCommand,
  LoopResult,
  Reply,
  TierSpec,
  WorkerConfig,
} from './protocol.js'

/** Every event worth counting from outside; `fetch` is also counted per reason (`fetch:miss`, …). */
const COUNTED_EVENTS = [
  'fetch',
  'fetch-error',
  'wait',
  'lock-contention',
  'refresh-ahead',
  'backoff',
  'breaker-open',
  'breaker-close',
  'tier-error',
  'lease-lost',
]

const send = (reply: Reply) => process.send!(reply)

let bridge: CredentialBridge | undefined
let fakeUrl = ''
const events: Record<string, number> = {}

/** The bridge's refresh API, read structurally so this file does not depend on its exact declaration. */
type Refreshing = {
  refreshAccessToken(key: object, options: { ifValue?: string }): Promise<{ access_token: string } | null>
}
type Listening = { on(event: string, listener: (payload: Record<string, unknown>) => void): unknown }

function tier(spec: TierSpec): CredentialStore {
  switch (spec.type) {
    case 'memory':
      return memoryStore(spec.maxTtl === undefined ? {} : { maxTtl: spec.maxTtl })
    case 'redis':
      return redisStore({
        url: spec.url,
        ...(spec.socketTimeout === undefined ? {} : { socketTimeout: spec.socketTimeout }),
        ...(spec.notify === undefined ? {} : { notify: spec.notify }),
      })
    case 'sqlite':
      return sqliteStore({ path: spec.path })
  }
}

function init(config: WorkerConfig): void {
  fakeUrl = config.fakeUrl
  const source = wechatSource({ baseUrl: config.fakeUrl, retry: { retries: 0 }, ...config.source })
  const options = { ...config.bridge, stores: config.stores.map(tier), apps: config.apps, source }
  bridge = createBridge(options as Parameters<typeof createBridge>[0])
  for (const name of COUNTED_EVENTS) {
    ;(bridge as unknown as Listening).on(name, (payload) => {
      events[name] = (events[name] ?? 0) + 1
      if (name === 'lease-lost') {
        const detailed = `lease-lost:${String(payload.served)}`
        events[detailed] = (events[detailed] ?? 0) + 1
      }
      if (name === 'fetch' || name === 'fetch-error') {
        const detailed = `${name}:${String(payload.reason ?? 'any')}`
        events[detailed] = (events[detailed] ?? 0) + 1
      }
    })
  }
}

function summary(error: unknown): ErrorSummary {
  const e = error as { name?: unknown; code?: unknown; errcode?: unknown; message?: unknown }
  return {
    name: typeof e?.name === 'string' ? e.name : typeof error,
    code: typeof e?.code === 'string' ? e.code : undefined,
    errcode: typeof e?.errcode === 'number' ? e.errcode : undefined,
    message: typeof e?.message === 'string' ? e.message : String(error),
  }
}

/** Whether any rendering of the error (message, stack, JSON, util.inspect, its cause) holds a forbidden string. */
function leaks(error: unknown, forbidden: readonly string[]): boolean {
  if (forbidden.length === 0) return false
  const e = error as { message?: unknown; stack?: unknown }
  let json = ''
  try {
    json = JSON.stringify(error) ?? ''
  } catch {
    json = ''
  }
  const text = [String(e?.message), String(e?.stack), json, inspect(error, { depth: 8, showHidden: true })].join('\n')
  return forbidden.some((secret) => text.includes(secret))
}

async function untilStart(startAt: number): Promise<void> {
  const wait = startAt - Date.now()
  if (wait > 0) await sleep(wait)
}

function snapshotEvents(): Record<string, number> {
  const copy = { ...events }
  for (const name of Object.keys(events)) delete events[name]
  return copy
}

async function herd(command: HerdCommand): Promise<HerdResult> {
  const b = bridge!
  await untilStart(command.startAt)
  const started = performance.now()
  const ifValue = command.ifValue === undefined ? {} : { ifValue: command.ifValue }
  const one = async (): Promise<CallOutcome> => {
    try {
      const value =
        command.op === 'get'
          ? await b.getAccessToken(command.key)
          : await (b as unknown as Refreshing).refreshAccessToken(command.key, ifValue)
      return { token: value?.access_token ?? null, ms: performance.now() - started }
    } catch (error) {
      return { error: summary(error), ms: performance.now() - started }
    }
  }
  const outcomes = await Promise.all(Array.from({ length: command.callers }, one))
  return { outcomes, events: snapshotEvents() }
}

/** A business call on the fake with `token`: its errcode (0 = accepted). */
async function businessCall(token: string): Promise<number> {
  const response = await fetch(`${fakeUrl}/fake/business?access_token=${encodeURIComponent(token)}`)
  const reply = (await response.json()) as { errcode?: number }
  return reply.errcode ?? 0
}

/** Tells the bridge a token was rejected: compare-and-refresh, or the old get-compare-remove where there is none. */
async function reportRejected(b: CredentialBridge, command: LoopCommand, token: string): Promise<void> {
  const refreshing = b as unknown as Partial<Refreshing>
  if (typeof refreshing.refreshAccessToken === 'function') {
    await refreshing.refreshAccessToken(command.key, { ifValue: token })
    return
  }
  const stored = await b.getAccessToken(command.key)
  if (stored?.access_token === token) await b.removeAccessToken(command.key)
}

async function loop(command: LoopCommand): Promise<LoopResult> {
  const b = bridge!
  const result: LoopResult = {
    reads: 0,
    accepted: 0,
    rejected: 0,
    errors: {},
    errorSamples: [],
    leaks: 0,
    firstErrorAt: null,
    lastErrorAt: null,
    nulls: 0,
    tokens: [],
    latencies: [],
    events: {},
  }
  const seen = new Set<string>()
  const sampled = new Set<string>()
  const forbidden = command.forbidden ?? []
  await untilStart(command.startAt)
  snapshotEvents()
  const end = Date.now() + command.durationMs
  const caller = async () => {
    while (Date.now() < end) {
      const t0 = performance.now()
      result.reads++
      try {
        const value = await b.getAccessToken(command.key)
        result.latencies.push(performance.now() - t0)
        if (value === null) {
          result.nulls++
        } else {
          const token = value.access_token
          if (!seen.has(token)) {
            seen.add(token)
            result.tokens.push({ token, firstSeenAt: Date.now() })
          }
          if (command.business) {
            const errcode = await businessCall(token)
            if (errcode === 0) result.accepted++
            else if (errcode === 40001 || errcode === 42001) {
              result.rejected++
              if (command.recover) await reportRejected(b, command, token)
            } else result.errors[`business ${errcode}`] = (result.errors[`business ${errcode}`] ?? 0) + 1
          }
        }
      } catch (error) {
        result.latencies.push(performance.now() - t0)
        result.firstErrorAt ??= Date.now()
        result.lastErrorAt = Date.now()
        const s = summary(error)
        const label = s.code ?? String(s.errcode ?? s.name)
        result.errors[label] = (result.errors[label] ?? 0) + 1
        if (leaks(error, forbidden)) result.leaks++
        const signature = `${label} ${s.message}`
        if (!sampled.has(signature) && result.errorSamples.length < 10) {
          sampled.add(signature)
          result.errorSamples.push(s)
        }
      }
      if (command.pauseMs > 0) await sleep(command.pauseMs)
    }
  }
  await Promise.all(Array.from({ length: command.callers }, caller))
  result.latencies.sort((a, b) => a - b)
  result.events = snapshotEvents()
  return result
}

async function handle(message: { type: 'init'; config: WorkerConfig } | Command): Promise<void> {
  try {
    switch (message.type) {
      case 'init':
        init(message.config)
        send({ type: 'ready', pid: process.pid })
        return
      case 'herd':
        send({ type: 'result', result: await herd(message) })
        return
      case 'loop':
        send({ type: 'result', result: await loop(message) })
        return
      case 'events':
        send({ type: 'result', result: snapshotEvents() })
        return
      case 'close':
        await bridge?.close()
        process.exit(0)
    }
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
  }
}

process.on('message', (message) => void handle(message as Parameters<typeof handle>[0]))
// The parent is gone (or killed us from a test): nothing left to do.
process.on('disconnect', () => process.exit(0))
// An unhandled rejection is a bug the parent must see, not a silent hang.
process.on('unhandledRejection', (error) => {
  send({ type: 'failed', message: `unhandled rejection: ${error instanceof Error ? error.message : String(error)}` })
})
