import { randomBytes } from 'node:crypto'

/** One request as openapi/rid/get reports it. */
export interface FakeRidRecord {
  invoke_time: number
  cost_in_ms: number
  request_url: string
  request_body: string
  response_body: string
  client_ip: string
}

/** The last requests the fake answered, by rid (the id WeChat puts at the end of an error's errmsg). */
export class FakeRequestLog {
  readonly #records = new Map<string, FakeRidRecord>()

  constructor(readonly capacity = 1_000) {}

  /** A new rid in the platform's shape: three groups of 8 hex digits (`5fa26c60-1a0ebdd5-32fd1cd0`). */
  static newRid(): string {
    const hex = randomBytes(12).toString('hex')
    return `${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16, 24)}`
  }

  add(rid: string, record: FakeRidRecord): void {
    this.#records.set(rid, record)
    if (this.#records.size > this.capacity) this.#records.delete(this.#records.keys().next().value!)
  }

  get(rid: string): FakeRidRecord | undefined {
    return this.#records.get(rid)
  }
}
