import { quoteValue, type CredentialBridge } from '@open-bridge/core'
import {
  isServerError,
  loadConfig,
  openConfiguredBridge,
  uniCalls,
  type ServiceConfig,
  type UniCalls,
} from '@open-bridge/server'
import { closestName } from './closest-name.js'
import { UniCommonError, describeTypeOf } from './errors.js'
import { locateConfig } from './locate-config.js'
import { STORES_ENV, storeUrlsFromEnv } from './store-urls.js'

export interface ConfigureOptions {
  /** Use this bridge as it is (its owner closes it: `close()` here only forgets it). Excludes the options below. */
  bridge?: CredentialBridge
  /** A config file, as `OPEN_BRIDGE_CONFIG`. */
  configPath?: string
  /** A uni-config-center directory, as `OPEN_BRIDGE_UNI_CONFIG_CENTER`. */
  uniConfigCenter?: string
  /** Store URLs, nearest first, as `OPEN_BRIDGE_STORES`: they replace the config's `stores`. */
  stores?: string[]
  /** Where relative paths and the default files are looked for. Default `process.cwd()` at the first call. */
  cwd?: string
  /** The variables read (the three above and `{ "env": … }` secrets). Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

/** Every option `configure()` takes: anything else is refused, naming it. */
const KNOWN_OPTIONS = [
  'bridge',
  'configPath',
  'uniConfigCenter',
  'stores',
  'cwd',
  'env',
] as const satisfies readonly (keyof ConfigureOptions)[]

interface Built {
  bridge: CredentialBridge
  /** Whether this module built it (and so closes it). */
  owned: boolean
}

let options: ConfigureOptions = {}
/** The bridge, once built: the functions call it directly, no promise in between. */
let ready: CredentialBridge | undefined
/** uni-open-bridge-common's functions over `ready` (what the original accepted, see the server's `uniCalls`). */
let readyUni: UniCalls | undefined
/** The build in flight (or done); concurrent first calls share it. A failed build is forgotten so the next call retries. */
let building: Promise<Built> | undefined

/** The functions over the bridge, if it is already built (the fast path of every call). */
export function readyCalls(): UniCalls | undefined {
  return readyUni
}

/** The functions over the bridge, built on first need (see `getBridge`). */
export function callsOf(): Promise<UniCalls> {
  return readyUni !== undefined ? Promise.resolve(readyUni) : getBridge().then((bridge) => readyUni ?? uniCalls(bridge))
}

/** The bridge the functions use, built on first need from `configure()`'s options, or the environment and files. */
export function getBridge(): Promise<CredentialBridge> {
  if (ready !== undefined) return Promise.resolve(ready)
  if (building === undefined) {
    const attempt = build(options)
    building = attempt
    attempt.then(
      (built) => {
        if (building === attempt) {
          ready = built.bridge
          readyUni = uniCalls(built.bridge)
        }
      },
      () => {
        if (building === attempt) building = undefined
      },
    )
  }
  return building.then((built) => built.bridge)
}

/**
 * Sets how the bridge is built (or hands one over with `{ bridge }`). A bridge built before is closed first, so
 * the next call uses the new settings. Calling it is optional: without it, the environment and files decide.
 */
export async function configure(next: ConfigureOptions = {}): Promise<void> {
  checkOptions(next)
  await close()
  options = { ...next }
}

/**
 * Closes the bridge this module built (a bridge handed over with `configure({ bridge })` is only forgotten).
 * The next call builds again.
 */
export async function close(): Promise<void> {
  const pending = building
  building = undefined
  ready = undefined
  readyUni = undefined
  if (pending === undefined) return
  const built = await pending.catch(() => undefined)
  if (built?.owned) await built.bridge.close()
}

async function build(from: ConfigureOptions): Promise<Built> {
  if (from.bridge !== undefined) return { bridge: from.bridge, owned: false }
  const env = from.env ?? process.env
  const cwd = from.cwd ?? process.cwd()
  const located =
    from.configPath !== undefined || from.uniConfigCenter !== undefined
      ? { configPath: from.configPath, uniConfigCenter: from.uniConfigCenter, discovered: undefined }
      : await locateConfig(cwd, env)
  const envStores = from.stores ?? storeUrlsFromEnv(env)
  let config: ServiceConfig
  try {
    config = await loadConfig({ ...located, cwd, env, ...(envStores !== undefined ? { stores: envStores } : {}) })
  } catch (error) {
    throw from.stores === undefined && envStores !== undefined ? fromEnv(error) : error
  }
  return { bridge: await open(config, from.stores === undefined && envStores !== undefined), owned: true }
}

/** What `open-bridge serve` runs on (`openConfiguredBridge`), without HTTP or scheduler. */
async function open(config: ServiceConfig, storesFromEnv: boolean): Promise<CredentialBridge> {
  try {
    return (await openConfiguredBridge(config)).bridge
  } catch (error) {
    throw storesFromEnv ? fromEnv(error) : error
  }
}

/** A store error about `stores[i]` names the variable it came from. Its message names the field, never the URL. */
function fromEnv(error: unknown): unknown {
  if (!isServerError(error) || error.field === undefined || !error.field.startsWith('stores[')) return error
  const field = `${STORES_ENV}${error.field.slice('stores'.length)}`
  return new UniCommonError('E_INVALID_ENV', `${STORES_ENV}: ${error.message.replace(/^stores\[\d+\]/, field)}`, {
    field,
  })
}

function checkOptions(next: unknown): void {
  if (typeof next !== 'object' || next === null) {
    throw new UniCommonError('E_INVALID_OPTIONS', `configure(options) takes an object, got ${describeTypeOf(next)}`, {
      field: 'options',
    })
  }
  const given = next as Record<string, unknown>
  // A typo (`configpath`, `store`) would otherwise be ignored and the bridge built from files it did not mean.
  for (const name of Object.keys(given)) {
    if ((KNOWN_OPTIONS as readonly string[]).includes(name)) continue
    const near = closestName(name, KNOWN_OPTIONS)
    const safe = /^[A-Za-z_$][\w$]{0,63}$/.test(name)
    throw new UniCommonError(
      'E_INVALID_OPTIONS',
      `configure(options) has an unknown option ${quoteValue(name)}${near !== undefined ? ` (did you mean ${near}?)` : ''}; it takes ${KNOWN_OPTIONS.join(', ')}`,
      { field: safe ? `options.${name}` : 'options' },
    )
  }
  const { bridge } = given
  if (bridge !== undefined) {
    if (
      typeof bridge !== 'object' ||
      bridge === null ||
      typeof (bridge as { getAccessToken?: unknown }).getAccessToken !== 'function'
    ) {
      throw new UniCommonError('E_INVALID_OPTIONS', 'options.bridge must be a bridge from createBridge()', {
        field: 'options.bridge',
      })
    }
    const other = ['configPath', 'uniConfigCenter', 'stores'].find((name) => given[name] !== undefined)
    if (other !== undefined) {
      throw new UniCommonError(
        'E_INVALID_OPTIONS',
        `options.bridge excludes options.${other}: the bridge is used as it is`,
        {
          field: `options.${other}`,
        },
      )
    }
  }
  for (const name of ['configPath', 'uniConfigCenter', 'cwd'] as const) {
    const value = given[name]
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new UniCommonError(
        'E_INVALID_OPTIONS',
        `options.${name} must be a non-empty path, got ${describeTypeOf(value)}`,
        {
          field: `options.${name}`,
        },
      )
    }
  }
  const { stores, env } = given
  if (
    stores !== undefined &&
    (!Array.isArray(stores) || stores.length === 0 || stores.some((url) => typeof url !== 'string'))
  ) {
    throw new UniCommonError('E_INVALID_OPTIONS', 'options.stores must be a non-empty array of store URLs', {
      field: 'options.stores',
    })
  }
  if (env !== undefined && (typeof env !== 'object' || env === null)) {
    throw new UniCommonError('E_INVALID_OPTIONS', 'options.env must be an object of variables', {
      field: 'options.env',
    })
  }
}
