/**
 * The nonces of the signature window, in typed arrays: an open-addressing hash table of 64-bit nonce
 * fingerprints and their forget-after times. A `Map<string, number>` of the same nonces keeps every nonce
 * string alive for five minutes — hundreds of thousands of small objects the garbage collector walks and
 * promotes at every request rate worth measuring; this table allocates nothing per request.
 *
 * A fingerprint is two independent 32-bit hashes of the nonce: two different nonces collide with a chance of
 * about n / 2^64 (a false "replayed"), and only holders of the secret can insert nonces at all.
 */

const EMPTY = 0
const MIN_CAPACITY = 1 << 12
/** Rebuild (drop expired slots, maybe grow) once this share of the slots has ever been written. */
const MAX_USED = 0.6

export class NonceTable {
  readonly #maxLive: number
  #mask: number
  #hashA: Int32Array
  #hashB: Int32Array
  /** Forget-after time in ms; `EMPTY` for a slot never written since the last rebuild. */
  #until: Float64Array
  /** Slots written since the last rebuild (live or expired). */
  #used = 0
  #maxCapacity: number

  /** `maxLive`: most live nonces held; beyond, `add` refuses. */
  constructor(maxLive: number) {
    this.#maxLive = maxLive
    this.#maxCapacity = Math.max(MIN_CAPACITY, nextPowerOfTwo(Math.ceil(maxLive / MAX_USED)))
    const capacity = Math.min(MIN_CAPACITY, this.#maxCapacity)
    this.#mask = capacity - 1
    this.#hashA = new Int32Array(capacity)
    this.#hashB = new Int32Array(capacity)
    this.#until = new Float64Array(capacity)
  }

  /** Live nonces (counts expired slots not yet reclaimed too; exact right after a rebuild). */
  get size(): number {
    return this.#used
  }

  get capacity(): number {
    return this.#mask + 1
  }

  has(nonce: string, now: number): boolean {
    fingerprint(nonce)
    const a = fpA
    const b = fpB
    const until = this.#until
    for (let i = a & this.#mask; until[i] !== EMPTY; i = (i + 1) & this.#mask) {
      if (this.#hashA[i] === a && this.#hashB[i] === b && until[i]! > now) return true
    }
    return false
  }

  /** Remembers `nonce` until `until` (ms); `false` when the table is full of live nonces. Call `has` first. */
  add(nonce: string, until: number, now: number): boolean {
    // `used` counts expired slots too: at either limit, reclaim them first and count what is really live.
    if ((this.#used + 1 > (this.#mask + 1) * MAX_USED || this.#used >= this.#maxLive) && !this.#rebuild(now))
      return false
    fingerprint(nonce)
    const a = fpA
    const b = fpB
    const times = this.#until
    let i = a & this.#mask
    // The first slot that is empty or expired: an expired slot inside a probe chain can be reused, because a
    // lookup only stops at an empty slot, never at an expired one.
    while (times[i] !== EMPTY && times[i]! > now) i = (i + 1) & this.#mask
    if (times[i] === EMPTY) this.#used++
    this.#hashA[i] = a
    this.#hashB[i] = b
    times[i] = until
    return true
  }

  /** Drops expired slots; doubles the table when live nonces fill more than half of it. `false` when full. */
  #rebuild(now: number): boolean {
    const oldA = this.#hashA
    const oldB = this.#hashB
    const oldUntil = this.#until
    let live = 0
    for (let i = 0; i < oldUntil.length; i++) if (oldUntil[i]! > now) live++
    if (live >= this.#maxLive) return false
    let capacity = oldUntil.length
    while (live + 1 > capacity * (MAX_USED / 2) && capacity < this.#maxCapacity) capacity *= 2
    if (live + 1 > capacity * MAX_USED) return false
    this.#mask = capacity - 1
    this.#hashA = new Int32Array(capacity)
    this.#hashB = new Int32Array(capacity)
    this.#until = new Float64Array(capacity)
    this.#used = 0
    for (let j = 0; j < oldUntil.length; j++) {
      if (!(oldUntil[j]! > now)) continue
      let i = oldA[j]! & this.#mask
      while (this.#until[i] !== EMPTY) i = (i + 1) & this.#mask
      this.#hashA[i] = oldA[j]!
      this.#hashB[i] = oldB[j]!
      this.#until[i] = oldUntil[j]!
      this.#used++
    }
    return true
  }
}

// The two halves of the last fingerprint: module state, so hashing allocates nothing.
let fpA = 0
let fpB = 0

/** Two independent 32-bit hashes in one pass: FNV-1a, and a MurmurHash-style multiply-and-mix with another seed. */
function fingerprint(text: string): void {
  let a = 0x811c9dc5 | 0
  let b = 0x9747b28c ^ text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 13
  }
  b = Math.imul(b ^ (b >>> 15), 0x85ebca6b)
  fpA = a
  fpB = b ^ (b >>> 13)
}

function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}
