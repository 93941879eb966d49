/**
 * The memory-hit path of `getAccessToken` as the number of distinct apps grows (1, 10k, 50k, 200k), reads going
 * round-robin over every app, against two floors over the same keys in the same run:
 * - the floor (the target's): an awaited Map lookup given what the bridge is given, a key object
 *   `{ appid, platform }` — the storage key built from it, looked up, its expiry checked;
 * - a harder reference: the same Map looked up with storage-key strings built beforehand (hashes cached), which no
 *   caller holding key objects gets; the gap to it is the key → storage-key step plus the LRU's bookkeeping.
 * Target: the bridge within 1.5× of the floor at every size (the per-appid key-string cache must not thrash).
 */
import { createBridge, memoryStore } from '@open-bridge/core'
import { compare } from './measure.js'

const SIZES = [1, 10_000, 50_000, 200_000]

export async function run(): Promise<void> {
  const value = { access_token: 'ACCESS_TOKEN'.repeat(10) }
  const summary: string[] = []
  for (const size of SIZES) {
    const appids = Array.from({ length: size }, (_, i) => `wx${i.toString(16).padStart(16, '0')}`)
    const keys = appids.map((appid) => ({ appid, platform: 'weixin-mp' as const }))
    const storageKeys = appids.map((appid) => `uni-id:weixin-mp:${appid}:access-token`)
    const expiresAt = Date.now() + 3_600_000
    const map = new Map(storageKeys.map((key) => [key, { value, expiresAt }]))
    let m = 0
    const mapGet = async () => {
      const key = keys[m]!
      m = m + 1 === size ? 0 : m + 1
      const entry = map.get(`uni-id:${key.platform}:${key.appid}:access-token`)
      return entry !== undefined && entry.expiresAt > Date.now() ? entry.value : null
    }
    let p = 0
    const prebuiltGet = async () => {
      const entry = map.get(storageKeys[p]!)
      p = p + 1 === size ? 0 : p + 1
      return entry !== undefined && entry.expiresAt > Date.now() ? entry.value : null
    }
    const bridge = createBridge({ stores: [memoryStore({ max: Math.max(size, 10_000) })] })
    for (const key of keys) await bridge.setAccessToken(key, value, 3600)
    let b = 0
    const bridgeGet = () => {
      const promise = bridge.getAccessToken(keys[b]!)
      b = b + 1 === size ? 0 : b + 1
      return promise
    }
    // Every key must be a hit, or the figure would measure the miss path.
    for (let i = 0; i < size; i++) {
      if ((await bridgeGet()) === null) throw new Error(`bench setup: app ${i} of ${size} missed`)
    }
    const floorName = `floor: awaited Map.get(key built from { appid, platform }) + expiry, ${size} keys`
    const prebuiltName = `reference: awaited Map.get(pre-built key string) + expiry, ${size} keys`
    const bridgeName = `bridge.getAccessToken({ appid }), ${size} apps`
    const results = await compare(
      `memory hit over ${size.toLocaleString('en-US')} distinct apps, round-robin (1,000,000 awaited calls per round, median of 7)`,
      [
        { name: floorName, run: mapGet },
        { name: prebuiltName, run: prebuiltGet },
        { name: bridgeName, run: bridgeGet },
      ],
      { iterations: 1_000_000, rounds: 7, baselines: [floorName, prebuiltName] },
    )
    const floor = results.get(floorName)!.nsPerOp
    const prebuilt = results.get(prebuiltName)!.nsPerOp
    const hit = results.get(bridgeName)!.nsPerOp
    summary.push(
      `  ${size.toLocaleString('en-US').padStart(7)} apps: ${hit.toFixed(1)} ns vs floor ${floor.toFixed(1)} ns = ${(hit / floor).toFixed(2)}×` +
        ` (vs the pre-built-string reference ${prebuilt.toFixed(1)} ns: ${(hit / prebuilt).toFixed(2)}×)`,
    )
    await bridge.close()
  }
  console.log(`\nmemory hit vs the same-run floor, by number of apps (target ≤ 1.5×):\n${summary.join('\n')}`)
}
