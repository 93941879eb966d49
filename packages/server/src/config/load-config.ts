import { access, readFile } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { redactUrl } from '@open-bridge/core'
import { Cron } from 'croner'
import { invalidConfig, ServerError } from '../errors.js'
import { TASK_PLATFORMS, type ScheduleTask } from '../scheduler/tasks.js'
import type { ConfigFile } from './config-file.js'
import { resolveWecomConfig } from '../wecom/wecom-config.js'
import { resolveComponents } from './component-config.js'
import { resolveEncryption } from './encryption-config.js'
import { parseJsonSafely } from './json-comments.js'
import { resolveSecret } from './secret-ref.js'
import { maskInViews } from './secret-view.js'
import {
  DEFAULT_CRON,
  DEFAULT_DRAIN_MS,
  DEFAULT_GRACE_AFTER_DRAIN_MS,
  DEFAULT_HOST,
  DEFAULT_JITTER_MS,
  DEFAULT_PORT,
  DEFAULT_STORES,
  type ServiceApp,
  type ServiceConfig,
} from './service-config.js'
import { nameStores, parseStoreUrl } from './store-url.js'
import { readUniConfigCenter } from './uni-config-center.js'
import { validateConfigFile } from './validate-config-file.js'

/** The file names looked for in the working directory when no `--config` is given, in this order. */
export const CONFIG_FILE_NAMES = ['open-bridge.config.json', 'open-bridge.config.mjs', 'open-bridge.config.js'] as const

export interface LoadConfigOptions {
  /** `--config`: a file to read (relative to `cwd`). Absent → the first of `CONFIG_FILE_NAMES` in `cwd`, if any. */
  configPath?: string | undefined
  /**
   * `--uni-config-center`: a uniCloud project's `uni-config-center` directory (apps, schedule, IP list). Wins over
   * the file's `uniConfigCenter`.
   */
  uniConfigCenter?: string | undefined
  /**
   * A directory found by looking (the drop-in searches the uniCloud layout), used only when neither
   * `uniConfigCenter` nor the file's `uniConfigCenter` decides (`false` there turns it off); `searched` says where
   * it was looked for, for messages.
   */
  discovered?: { uniConfigCenter: string | undefined; searched: string } | undefined
  /**
   * Store URLs that replace the file's `stores` (e.g. from an environment variable, as
   * `@open-bridge/uni-open-bridge-common` reads `OPEN_BRIDGE_STORES`): parsed by the same rule, named `stores[i]`.
   */
  stores?: readonly string[] | undefined
  /** Default `process.cwd()`. Relative paths (the config file, `sqlite:` stores) are taken from here. */
  cwd?: string
  /** Where `{ "env": "NAME" }` secrets are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv
}

/**
 * Reads, validates and resolves the configuration: the file (if any), then the uni-config-center directory
 * (if given: its apps join the file's, its IP list joins `server.auth.ipAllowList`), then the defaults.
 * Every problem is a `ServerError` (`E_INVALID_CONFIG` or `E_CONFIG_FILE`) naming the field or file.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ServiceConfig> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const file = options.configPath !== undefined ? resolve(cwd, options.configPath) : await findConfigFile(cwd)
  const raw: ConfigFile = file === undefined ? {} : validateConfigFile(await readConfigFile(file), basename(file))
  const { dir: uniDir, discovery } = uniConfigCenterOf(options, raw, file, cwd)
  const uni = uniDir !== undefined ? await readUniConfigCenter(uniDir) : undefined

  const stores = nameStores(
    (options.stores ?? raw.stores ?? [...DEFAULT_STORES]).map((entry, i) => {
      const field = `stores[${i}]`
      return parseStoreUrl(resolveSecret(entry, field, env), field, cwd)
    }),
  )

  const apps: ServiceApp[] = (raw.apps ?? []).map((app, i) => {
    const field = `apps[${i}]`
    const secret = app.secret === undefined ? undefined : resolveSecret(app.secret, `${field}.secret`, env)
    const tasks = [...new Set(app.tasks ?? (secret !== undefined ? defaultTasks(app.platform) : []))]
    tasks.forEach((task, j) => {
      if (!TASK_PLATFORMS[task as ScheduleTask].includes(app.platform)) {
        throw invalidConfig(
          `${field}.tasks[${j}]`,
          `${task} is fetched for ${TASK_PLATFORMS[task as ScheduleTask].join(', ')} only`,
        )
      }
    })
    if (tasks.length > 0 && secret === undefined)
      throw invalidConfig(`${field}.tasks`, `needs ${field}.secret: the scheduler fetches from the platform`)
    return {
      platform: app.platform,
      appid: app.appid,
      dcloudAppid: app.dcloudAppid,
      secret,
      tasks: tasks as ScheduleTask[],
      field,
    }
  })
  if (uni) apps.push(...uni.apps)
  for (const app of apps) maskInViews(app, ['secret'])
  checkUnique(apps)

  const schedule = {
    enable: raw.schedule?.enable ?? true,
    cron: raw.schedule?.cron ?? DEFAULT_CRON,
    jitterMs: raw.schedule?.jitterMs ?? DEFAULT_JITTER_MS,
    timezone: raw.schedule?.timezone,
  }
  checkSchedule(schedule)

  const auth = raw.server?.auth
  const ipAllowList =
    auth?.ipAllowList || uni?.ipAllowList
      ? [...new Set([...(auth?.ipAllowList ?? []), ...(uni?.ipAllowList ?? [])])]
      : undefined
  const drainMs = raw.server?.drainMs ?? DEFAULT_DRAIN_MS
  const shutdownGraceMs = raw.server?.shutdownGraceMs ?? drainMs + DEFAULT_GRACE_AFTER_DRAIN_MS
  if (shutdownGraceMs <= drainMs) throw invalidConfig('server.shutdownGraceMs', 'must be greater than server.drainMs')
  return {
    origin: {
      file,
      uniConfigCenter: uniDir,
      files: [...(file !== undefined ? [file] : []), ...(uni?.files ?? []).map((name) => join(uniDir!, name))],
      discovery,
    },
    stores,
    apps,
    schedule,
    server: {
      host: raw.server?.host ?? DEFAULT_HOST,
      port: raw.server?.port ?? DEFAULT_PORT,
      bodyLimit: raw.server?.bodyLimit,
      limits: {
        ...(raw.server?.requestTimeoutMs !== undefined ? { requestTimeoutMs: raw.server.requestTimeoutMs } : {}),
        ...(raw.server?.headersTimeoutMs !== undefined ? { headersTimeoutMs: raw.server.headersTimeoutMs } : {}),
        ...(raw.server?.keepAliveTimeoutMs !== undefined ? { keepAliveTimeoutMs: raw.server.keepAliveTimeoutMs } : {}),
        ...(raw.server?.maxConnections !== undefined ? { maxConnections: raw.server.maxConnections } : {}),
      },
      drainMs,
      shutdownGraceMs,
      allowedHosts: raw.server?.allowedHosts,
      auth: maskInViews(
        {
          ...(ipAllowList !== undefined ? { ipAllowList } : {}),
          ...(auth?.trustProxy !== undefined ? { trustProxy: auth.trustProxy } : {}),
          ...(auth?.signingSecret !== undefined
            ? { signingSecret: resolveSecret(auth.signingSecret, 'server.auth.signingSecret', env) }
            : {}),
          ...(auth?.audience !== undefined ? { audience: auth.audience } : {}),
          ...(auth?.acceptV1Signatures !== undefined ? { acceptV1Signatures: auth.acceptV1Signatures } : {}),
          ...(auth?.metricsToken !== undefined
            ? { metricsToken: resolveSecret(auth.metricsToken, 'server.auth.metricsToken', env) }
            : {}),
        },
        ['signingSecret', 'metricsToken'],
      ),
    },
    log: { level: raw.log?.level ?? 'info' },
    refresh: { ...raw.refresh },
    // A proxy in front of the platform may carry credentials in its URL: views show it through core's URL rule.
    wechat: maskInViews({ ...raw.wechat }, ['baseUrl'], redactBaseUrl),
    encryption: resolveEncryption(raw.encryption, env),
    openPlatform: resolveComponents(raw.openPlatform, env),
    ...(raw.wecom !== undefined ? { wecom: resolveWecomConfig(raw.wecom, env) } : {}),
  }
}

/** `wechat.baseUrl` as views show it: one URL, or one per platform, each through core's `redactUrl`. */
function redactBaseUrl(value: unknown): unknown {
  if (typeof value === 'string') return redactUrl(value)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value).map(([platform, url]) => [platform, typeof url === 'string' ? redactUrl(url) : url]),
  )
}

/**
 * Which uni-config-center directory to read: the one named (flag, variable, `configure`), else the file's
 * `uniConfigCenter` (a path, or `false` for none), else the one found by looking. `discovery` says what became of
 * the looking, for messages.
 */
function uniConfigCenterOf(
  options: LoadConfigOptions,
  raw: ConfigFile,
  file: string | undefined,
  cwd: string,
): { dir: string | undefined; discovery: string | undefined } {
  if (options.uniConfigCenter !== undefined) return { dir: resolve(cwd, options.uniConfigCenter), discovery: undefined }
  const fromFile = raw.uniConfigCenter
  if (typeof fromFile === 'string') return { dir: resolve(cwd, fromFile), discovery: undefined }
  const looked = options.discovered
  if (looked === undefined) return { dir: undefined, discovery: undefined }
  if (fromFile === false) {
    return {
      dir: undefined,
      discovery: `uni-config-center not looked for: "uniConfigCenter": false in ${basename(file!)}`,
    }
  }
  if (looked.uniConfigCenter !== undefined)
    return { dir: looked.uniConfigCenter, discovery: `uni-config-center found at ${looked.uniConfigCenter}` }
  return { dir: undefined, discovery: `no uni-config-center found (${looked.searched})` }
}

/** What an app with a secret keeps fresh when its `tasks` are not given: the access_token, where it can be fetched. */
function defaultTasks(platform: ServiceApp['platform']): ScheduleTask[] {
  return TASK_PLATFORMS.accessToken.includes(platform) ? ['accessToken'] : []
}

async function findConfigFile(cwd: string): Promise<string | undefined> {
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(cwd, name)
    try {
      await access(path)
      return path
    } catch {
      // Not there: try the next name.
    }
  }
  return undefined
}

async function readConfigFile(path: string): Promise<unknown> {
  const name = basename(path)
  const ext = extname(path)
  if (ext === '.json') {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      throw new ServerError(
        'E_CONFIG_FILE',
        `config file ${path} could not be read (${String((error as { code?: unknown }).code ?? 'error')})`,
        { field: name },
      )
    }
    const parsed = parseJsonSafely(text.replace(/^\uFEFF/, ''))
    if (!parsed.ok)
      throw new ServerError('E_CONFIG_FILE', `${name} is not valid JSON (${parsed.where})`, { field: name })
    return parsed.value
  }
  if (ext === '.mjs' || ext === '.js' || ext === '.cjs') {
    let loaded: { default?: unknown }
    try {
      loaded = (await import(pathToFileURL(path).href)) as { default?: unknown }
    } catch (error) {
      // The error's message may quote the file's source; its name and code say enough.
      const { name: kind, code } = error as { name?: unknown; code?: unknown }
      throw new ServerError(
        'E_CONFIG_FILE',
        `config file ${path} could not be loaded (${String(code ?? kind ?? 'error')})`,
        {
          field: name,
        },
      )
    }
    if (loaded.default === undefined)
      throw new ServerError('E_CONFIG_FILE', `${name} must default-export the config object`, { field: name })
    return loaded.default
  }
  throw new ServerError('E_CONFIG_FILE', `${name}: a config file is .json, .mjs or .js`, { field: name })
}

function checkUnique(apps: ServiceApp[]): void {
  const byAppid = new Map<string, ServiceApp>()
  const byDcloud = new Map<string, ServiceApp>()
  for (const app of apps) {
    const appidKey = `${app.platform}:${app.appid}`
    const first = byAppid.get(appidKey)
    if (first)
      throw invalidConfig(app.field, `configures appid of platform ${app.platform} again (first at ${first.field})`)
    byAppid.set(appidKey, app)
    if (app.dcloudAppid === undefined) continue
    const dcloudKey = `${app.dcloudAppid}:${app.platform}`
    const other = byDcloud.get(dcloudKey)
    if (other)
      throw invalidConfig(
        app.field,
        `configures dcloudAppid ${app.dcloudAppid} on platform ${app.platform} again (first at ${other.field})`,
      )
    byDcloud.set(dcloudKey, app)
  }
}

/**
 * A cron expression croner refuses, an unknown time zone, or a jitter as long as the interval (runs would
 * collide with `protect` and be skipped) are config errors now rather than surprises later.
 */
function checkSchedule(schedule: ServiceConfig['schedule']): void {
  if (schedule.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: schedule.timezone })
    } catch {
      throw invalidConfig('schedule.timezone', 'must be an IANA time zone, e.g. Asia/Shanghai')
    }
  }
  let cron: Cron
  try {
    cron = new Cron(schedule.cron, { paused: true, ...(schedule.timezone ? { timezone: schedule.timezone } : {}) })
  } catch {
    throw invalidConfig(
      'schedule.cron',
      'must be a cron expression (5 fields, or 6 with seconds first), e.g. "0 * * * * *"',
    )
  }
  const runs = cron.nextRuns(4)
  cron.stop()
  if (runs.length === 0) throw invalidConfig('schedule.cron', 'never runs')
  let interval = Infinity
  for (let i = 1; i < runs.length; i++) interval = Math.min(interval, runs[i]!.getTime() - runs[i - 1]!.getTime())
  if (schedule.jitterMs >= interval)
    throw invalidConfig(
      'schedule.jitterMs',
      `must be shorter than the interval between runs of schedule.cron (${interval} ms)`,
    )
}
