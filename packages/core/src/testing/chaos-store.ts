import { setTimeout as sleep } from 'node:timers/promises'
import { BridgeError } from '../errors.js'
import type { CredentialStore, StoredRecord, StoreLock } from '../store.js'

/** The operations of a store a chaos controller can disturb. */
export type ChaosOperation =
  | 'get'
  | 'getSync'
  | 'set'
  | 'delete'
  | 'compareAndSet'
  | 'lock.acquire'
  | 'lock.extend'
  | 'lock.release'

/** What the controller counts: every operation, and `close`. */
export type ChaosCountedOperation = ChaosOperation | 'close'

/**
 * The codes a chaos store throws, as open-bridge errors (`isBridgeError(error)` is true): `E_CHAOS_FAULT` is
 * the default injected failure, `E_INVALID_CONFIG` a controller call that names an operation the store lacks.
 */
export type ChaosErrorCode = 'E_CHAOS_FAULT' | 'E_INVALID_CONFIG'

export interface ChaosStoreOptions {
  /**
   * Capabilities the wrapper does not pass on: `getSync` makes an in-process store look like a network one
   * (every read is asynchronous), `lock` makes a store look like one that cannot hold a lease, `compareAndSet`
   * like one whose writes under the lock can only be fenced by a lease check.
   */
  hide?: ReadonlyArray<'getSync' | 'lock' | 'compareAndSet'>
}

export interface ChaosFailOptions {
  /**
   * What to throw: this error (the same object every call), or what the function returns for each call. By
   * default a fresh `BridgeError` with code `E_CHAOS_FAULT` naming the store and the operation.
   */
  error?: Error | ((operation: ChaosOperation) => unknown)
  /** Milliseconds each call waits before it fails, as a socket timeout does. `getSync` fails at once. */
  delay?: number
}

export interface ChaosDelayOptions {
  /**
   * `request` (default): the call waits, then reaches the store. `reply`: the call reaches the store at once
   * and its answer comes back late (a read returns what the store held when it was asked).
   */
  on?: 'request' | 'reply'
}

export interface ChaosHangOptions {
  /** Hung calls reject with the signal's reason when it aborts (already aborted: they reject at once). */
  signal?: AbortSignal
}

/** A selection of operations: one, several, or (omitted) every operation the wrapped store has. */
export type ChaosOperations = ChaosOperation | readonly ChaosOperation[]

/**
 * Switches faults on and off while a test runs. A fault set on an operation replaces the one it had; it
 * applies to calls that start after it is set, until `heal`.
 */
export interface ChaosController {
  /** The operations reject (`getSync` throws) until healed. */
  fail(operations?: ChaosOperations, options?: ChaosFailOptions): void
  /** The operations take `ms` longer. `getSync` cannot wait: naming it is an `E_INVALID_CONFIG`. */
  delay(operations: ChaosOperations | undefined, ms: number, options?: ChaosDelayOptions): void
  /**
   * The operations wait until `heal` (then they reach the store) or until `options.signal` aborts (then they
   * reject with its reason). Omitted operations: every asynchronous one. `getSync` cannot hang.
   */
  hang(operations?: ChaosOperations, options?: ChaosHangOptions): void
  /** Clears the faults of the operations (omitted: all) and lets their hung calls through to the store. */
  heal(operations?: ChaosOperations): void
  /** Calls per operation since the store was made or `resetCalls`, failed and hung ones included. A copy. */
  readonly calls: Readonly<Record<ChaosCountedOperation, number>>
  /** Calls hanging right now. */
  readonly hanging: number
  resetCalls(): void
}

export interface ChaosStore {
  /** The store to hand to a bridge: it behaves as the wrapped one while no fault is set. */
  store: CredentialStore
  chaos: ChaosController
}

type Fault =
  | { kind: 'fail'; error: ChaosFailOptions['error']; delay: number }
  | { kind: 'delay'; ms: number; on: 'request' | 'reply' }
  | { kind: 'hang'; signal: AbortSignal | undefined }

interface HungCall {
  operation: ChaosOperation
  resume: () => void
}

const ALL_OPERATIONS: readonly ChaosOperation[] = [
  'get',
  'getSync',
  'set',
  'delete',
  'compareAndSet',
  'lock.acquire',
  'lock.extend',
  'lock.release',
]

/**
 * Wraps any store so a test can make chosen operations throw, slow down or hang, and count its calls, the way
 * a network tier fails (server down, socket timeout, a reply that never comes). Independent of any test
 * runner: it works in a plain script as well.
 *
 * ```ts
 * const { store, chaos } = chaosStore(memoryStore({ name: 'redis' }), { hide: ['getSync'] })
 * const bridge = createBridge({ stores: [store, durable] })
 * chaos.fail()            // every operation rejects with E_CHAOS_FAULT
 * chaos.heal()            // and works again
 * chaos.calls.get         // how many reads reached it
 * ```
 */
export function chaosStore(inner: CredentialStore, options: ChaosStoreOptions = {}): ChaosStore {
  if (!isStore(inner)) throw invalid('store', 'must be a CredentialStore (get, set, delete and close functions)')
  const hidden = new Set(validateHide(options.hide))
  const innerLock = hidden.has('lock') ? undefined : inner.lock
  const hasSync = !hidden.has('getSync') && typeof inner.getSync === 'function'
  const innerCas = hidden.has('compareAndSet') ? undefined : inner.compareAndSet?.bind(inner)
  const present = ALL_OPERATIONS.filter((operation) =>
    operation === 'getSync'
      ? hasSync
      : operation === 'compareAndSet'
        ? innerCas !== undefined
        : operation.startsWith('lock.')
          ? innerLock !== undefined
          : true,
  )

  const faults = new Map<ChaosOperation, Fault>()
  const hung = new Set<HungCall>()
  const counts = zeroCounts()

  const select = (operations: ChaosOperations | undefined, canWait: boolean): ChaosOperation[] => {
    if (operations === undefined) return present.filter((operation) => !canWait || operation !== 'getSync')
    const list: readonly unknown[] = Array.isArray(operations) ? operations : [operations]
    for (const operation of list) {
      if (!ALL_OPERATIONS.includes(operation as ChaosOperation))
        throw invalid('operations', `is not an operation of a store (one of ${ALL_OPERATIONS.join(', ')})`)
      if (!present.includes(operation as ChaosOperation))
        throw invalid('operations', `names ${String(operation)}, which the store ${inner.name} does not offer`)
      if (canWait && operation === 'getSync')
        throw invalid('operations', 'names getSync, which is synchronous: it can fail but not wait or hang')
    }
    return list as ChaosOperation[]
  }

  const release = (operations: readonly ChaosOperation[]) => {
    for (const call of [...hung]) {
      if (!operations.includes(call.operation)) continue
      hung.delete(call)
      call.resume()
    }
  }

  const errorOf = (fault: Extract<Fault, { kind: 'fail' }>, operation: ChaosOperation): unknown => {
    if (fault.error === undefined)
      return new BridgeError<ChaosErrorCode>('E_CHAOS_FAULT', `${inner.name}: ${operation} failed (injected fault)`)
    return typeof fault.error === 'function' ? fault.error(operation) : fault.error
  }

  const hangUntilHealed = (operation: ChaosOperation, signal: AbortSignal | undefined): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const onAbort = () => {
        hung.delete(call)
        reject(signal?.reason)
      }
      const call: HungCall = {
        operation,
        resume: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      hung.add(call)
      signal?.addEventListener('abort', onAbort, { once: true })
    })

  const run = async <T>(operation: ChaosOperation, call: () => Promise<T>): Promise<T> => {
    counts[operation]++
    const fault = faults.get(operation)
    if (fault === undefined) return call()
    switch (fault.kind) {
      case 'fail':
        if (fault.delay > 0) await sleep(fault.delay)
        throw errorOf(fault, operation)
      case 'hang':
        await hangUntilHealed(operation, fault.signal)
        return call()
      case 'delay': {
        if (fault.on === 'request') {
          await sleep(fault.ms)
          return call()
        }
        const settled = await call().then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        )
        await sleep(fault.ms)
        if (settled.ok) return settled.value
        throw settled.error
      }
    }
  }

  const lock: StoreLock | undefined = innerLock && {
    acquire: (name, token, ttlMs) => run('lock.acquire', () => innerLock.acquire(name, token, ttlMs)),
    extend: (name, token, ttlMs) => run('lock.extend', () => innerLock.extend(name, token, ttlMs)),
    release: (name, token) => run('lock.release', () => innerLock.release(name, token)),
  }

  const store: CredentialStore = {
    name: inner.name,
    // Passed on as it is: a durable write counts on the wrapped store's persistence.
    ...(inner.persistent === undefined ? {} : { persistent: inner.persistent }),
    get: (key: string) => run('get', () => inner.get(key)),
    set: (key: string, record: StoredRecord) => run('set', () => inner.set(key, record)),
    delete: (key: string) => run('delete', () => inner.delete(key)),
    close: () => {
      counts.close++
      return inner.close()
    },
    ...(hasSync
      ? {
          getSync: (key: string, now?: number) => {
            counts.getSync++
            const fault = faults.get('getSync')
            if (fault?.kind === 'fail') throw errorOf(fault, 'getSync')
            return inner.getSync?.(key, now)
          },
        }
      : {}),
    ...(lock ? { lock } : {}),
    ...(innerCas
      ? {
          compareAndSet: (key: string, expected: StoredRecord | undefined, record: StoredRecord) =>
            run('compareAndSet', () => innerCas(key, expected, record)),
        }
      : {}),
  }

  const chaos: ChaosController = {
    fail(operations, failOptions = {}) {
      const delay = failOptions.delay ?? 0
      if (!isDuration(delay)) throw invalid('options.delay', 'must be a finite number of milliseconds, 0 or more')
      const error = failOptions.error
      if (error !== undefined && !(error instanceof Error) && typeof error !== 'function')
        throw invalid('options.error', 'must be an Error or a function returning what to throw')
      for (const operation of select(operations, false)) faults.set(operation, { kind: 'fail', error, delay })
    },
    delay(operations, ms, delayOptions = {}) {
      if (!isDuration(ms)) throw invalid('ms', 'must be a finite number of milliseconds, 0 or more')
      const on = delayOptions.on ?? 'request'
      if (on !== 'request' && on !== 'reply') throw invalid('options.on', "must be 'request' or 'reply'")
      for (const operation of select(operations, true)) faults.set(operation, { kind: 'delay', ms, on })
    },
    hang(operations, hangOptions = {}) {
      const signal = hangOptions.signal
      if (signal !== undefined && !(signal instanceof AbortSignal))
        throw invalid('options.signal', 'must be an AbortSignal')
      for (const operation of select(operations, true)) faults.set(operation, { kind: 'hang', signal })
    },
    heal(operations) {
      const selected = operations === undefined ? present : select(operations, false)
      for (const operation of selected) faults.delete(operation)
      release(selected)
    },
    get calls() {
      return { ...counts }
    },
    get hanging() {
      return hung.size
    },
    resetCalls() {
      for (const operation of Object.keys(counts) as ChaosCountedOperation[]) counts[operation] = 0
    },
  }

  return { store, chaos }
}

function zeroCounts(): Record<ChaosCountedOperation, number> {
  return {
    get: 0,
    getSync: 0,
    set: 0,
    delete: 0,
    compareAndSet: 0,
    'lock.acquire': 0,
    'lock.extend': 0,
    'lock.release': 0,
    close: 0,
  }
}

function validateHide(hide: unknown): Array<'getSync' | 'lock' | 'compareAndSet'> {
  if (hide === undefined) return []
  const known = ['getSync', 'lock', 'compareAndSet']
  if (!Array.isArray(hide) || !hide.every((entry) => known.includes(entry)))
    throw invalid('hide', "must be an array of 'getSync', 'lock' and 'compareAndSet'")
  return hide
}

function isStore(value: unknown): value is CredentialStore {
  if (typeof value !== 'object' || value === null) return false
  const store = value as Record<string, unknown>
  return ['get', 'set', 'delete', 'close'].every((method) => typeof store[method] === 'function')
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function invalid(field: string, problem: string): BridgeError<ChaosErrorCode> {
  return new BridgeError<ChaosErrorCode>('E_INVALID_CONFIG', `chaosStore: ${field} ${problem}`, { field })
}
