/**
 * `npm run bench:remote`: a business service's read through `remoteBridge()` against a direct memory hit,
 * same run. (1) memory hits: a bridge whose source is remoteBridge vs a plain local bridge — the source is not
 * touched on a hit, so the two should cost the same. (2) a miss that goes to the centre: a signed
 * `POST /getAccessToken` over a keep-alive connection to a central open-bridge (`buildApp`, memory tier,
 * signing on, loopback) that answers from its own memory, plus the write-back — against the same direct hit,
 * and against the floor of a miss: the same signed request sent by hand with undici.
 */
import { createBridge, memoryStore } from '@open-bridge/core'
import { remoteBridge, signRequest } from '@open-bridge/remote'
import { buildApp } from '@open-bridge/server'
import { Agent, request } from 'undici'
import { compare } from './measure.js'

const APPID = 'wx0123456789abcdef'
const KEY = { appid: APPID, platform: 'weixin-mp' as const }
const SECRET = 'bench-signing-secret-0123456789'

export async function run(): Promise<void> {
  const value = { access_token: 'ACCESS_TOKEN'.repeat(10) }

  // The centre: its own bridge holding the token, the HTTP app with signing on.
  const centreStore = memoryStore()
  const centreBridge = createBridge({ stores: [centreStore] })
  await centreBridge.setAccessToken(KEY, value, 7200)
  const app = buildApp({
    bridge: centreBridge,
    auth: { signingSecret: SECRET },
    logger: false,
    expiryOf: async (storageKey) => (await centreStore.get(storageKey))?.expiresAt,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }

  // A business service on remoteBridge, and a plain local bridge as the baseline.
  const business = createBridge({
    stores: [memoryStore({ maxTtl: 60_000 })],
    source: remoteBridge({ url: `http://127.0.0.1:${port}`, secret: SECRET }),
  })
  const local = createBridge({ stores: [memoryStore({ maxTtl: 60_000 })] })
  await local.setAccessToken(KEY, value, 7200)
  if ((await business.getAccessToken(KEY))?.access_token !== value.access_token)
    throw new Error('the centre did not answer the token')

  // The floor of a miss: the same signed request by hand over a keep-alive Agent, body read and parsed.
  const agent = new Agent({ keepAliveTimeout: 30_000 })
  const rawBody = JSON.stringify(KEY)
  const rawPost = async () => {
    const signed = signRequest({
      secret: SECRET,
      method: 'POST',
      path: '/getAccessToken',
      body: rawBody,
      audience: `127.0.0.1:${port}`,
    })
    const headers = { 'content-type': 'application/json', ...signed }
    const response = await request(`http://127.0.0.1:${port}/getAccessToken`, {
      method: 'POST',
      headers,
      body: rawBody,
      dispatcher: agent,
    })
    return JSON.parse(await response.body.text())
  }

  const direct = 'direct memory hit (local bridge)'
  const raw = 'signed undici POST by hand (floor)'
  await compare(
    'memory hit: a business service on remoteBridge vs a local bridge (200,000 awaited calls per round, median of 9)',
    [
      { name: direct, run: () => local.getAccessToken(KEY) },
      { name: 'remoteBridge service, memory hit', run: () => business.getAccessToken(KEY) },
    ],
    { iterations: 200_000, rounds: 9, baselines: [direct] },
  )
  await compare(
    'miss going to the centre: remove + getAccessToken → signed POST /getAccessToken on loopback (2,000 per round, median of 7)',
    [
      { name: direct, run: () => local.getAccessToken(KEY) },
      { name: raw, run: rawPost },
      {
        name: 'remoteBridge service, miss → centre',
        run: async () => {
          await business.removeAccessToken(KEY)
          return business.getAccessToken(KEY)
        },
      },
    ],
    { iterations: 2_000, rounds: 7, baselines: [direct, raw] },
  )

  await agent.close()
  await business.close()
  await local.close()
  await app.close()
  await centreBridge.close()
}
