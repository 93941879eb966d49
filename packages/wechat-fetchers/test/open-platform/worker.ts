/**
 * A bridge with the Open Platform family in its own process, driven by the parent over IPC (see fleet.ts here). Run
 * with `node --import tsx` from the repository root (tsconfig paths map `@open-bridge/*` to the sources).
 */
import { redisStore } from '@open-bridge/adapter-redis'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge, memoryStore, type CredentialBridge, type CredentialStore } from '@open-bridge/core'
import { wechatSource } from '@open-bridge/wechat-fetchers'
import { setTimeout as sleep } from 'node:timers/promises'
import type { OpCommand, OpReply, OpTier } from './protocol.js'

let bridge: CredentialBridge | undefined
let fakeUrl = ''
const send = (reply: OpReply) => process.send!(reply)

function tier(spec: OpTier): CredentialStore {
  if (spec.type === 'memory') return memoryStore()
  if (spec.type === 'redis') return redisStore({ url: spec.url })
  return sqliteStore({ path: spec.path })
}

const describe = (error: unknown) => {
  const e = error as { code?: unknown; errcode?: unknown; message?: unknown }
  return `${String(e?.code)}${e?.errcode === undefined ? '' : `/${String(e.errcode)}`}: ${String(e?.message)}`
}

async function business(token: string): Promise<number> {
  const reply = await fetch(`${fakeUrl}/fake/business?access_token=${encodeURIComponent(token)}`)
  return ((await reply.json()) as { errcode: number }).errcode
}

async function run(command: OpCommand): Promise<unknown> {
  switch (command.type) {
    case 'init': {
      fakeUrl = command.fakeUrl
      bridge = createBridge({
        stores: command.stores.map(tier),
        source: wechatSource({
          baseUrl: command.fakeUrl,
          retry: { retries: 0 },
          openPlatform: { components: command.components },
          ...(command.expiryMarginSeconds === undefined ? {} : { expiryMarginSeconds: command.expiryMarginSeconds }),
        }),
        ...(command.refreshAhead === undefined ? {} : { refreshAhead: command.refreshAhead }),
      })
      return process.pid
    }
    case 'herd': {
      const wait = command.startAt - Date.now()
      if (wait > 0) await sleep(wait)
      const results = await Promise.allSettled(
        Array.from({ length: command.callers }, () =>
          bridge!.getAccessToken({ appid: command.appid, platform: command.platform }),
        ),
      )
      const tokens = new Set<string>()
      const errors: string[] = []
      for (const result of results) {
        if (result.status === 'fulfilled' && result.value !== null) tokens.add(result.value.access_token)
        else errors.push(result.status === 'rejected' ? describe(result.reason) : 'null')
      }
      return { tokens: [...tokens], errors: errors.slice(0, 5), failed: errors.length }
    }
    case 'soak': {
      const wait = command.startAt - Date.now()
      if (wait > 0) await sleep(wait)
      const end = Date.now() + command.durationMs
      let calls = 0
      let rejected = 0
      const errors: string[] = []
      const tokens = new Set<string>()
      await Promise.all(
        Array.from({ length: command.callers }, async (_, i) => {
          const appid = command.appids[i % command.appids.length]!
          while (Date.now() < end) {
            try {
              const token = (await bridge!.getAccessToken({ appid, platform: command.platform }))!.access_token
              tokens.add(token)
              calls++
              if ((await business(token)) !== 0) rejected++
            } catch (error) {
              if (errors.length < 5) errors.push(describe(error))
            }
            await sleep(command.pauseMs)
          }
        }),
      )
      return { calls, rejected, errors, tokens: tokens.size }
    }
    case 'close':
      await bridge?.close()
      process.exit(0)
  }
}

process.on('message', (command: OpCommand) => {
  run(command).then(
    (result) => send({ type: 'done', result }),
    (error: unknown) => send({ type: 'failed', message: describe(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
