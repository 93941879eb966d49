import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isPlainObject, type Platform } from '@open-bridge/core'
import { invalidConfig, ServerError } from '../errors.js'
import { SCHEDULE_TASKS, TASK_PLATFORMS, isScheduleTask, type ScheduleTask } from '../scheduler/tasks.js'
import { currentPlatform } from '../compat/legacy-key.js'
import { parseJsonSafely, stripJsonComments } from './json-comments.js'
import type { ServiceApp } from './service-config.js'

/** Where uni-id keeps each platform's `appid` / `appsecret` (uni-open-bridge-common reads the same paths). */
export const UNI_ID_PLATFORM_PATHS: Record<Platform, readonly [string, string, string]> = {
  'weixin-mp': ['mp-weixin', 'oauth', 'weixin'],
  'weixin-h5': ['web', 'oauth', 'weixin-h5'],
  'weixin-web': ['web', 'oauth', 'weixin-web'],
  'weixin-app': ['app', 'oauth', 'weixin'],
  'qq-mp': ['mp-qq', 'oauth', 'qq'],
  'qq-app': ['app', 'oauth', 'qq'],
}

/**
 * Older uni-id layouts uni-open-bridge-common 1.1.3 on also reads (`config.js`, "支持旧版本 uni-id 配置"), each
 * looked at only when the paths before it are absent: `app-plus` for `app`, `h5-weixin` / `h5` for `web.…weixin-h5`.
 */
const LEGACY_UNI_ID_PATHS: Partial<Record<Platform, ReadonlyArray<readonly [string, string, string]>>> = {
  'weixin-app': [['app-plus', 'oauth', 'weixin']],
  'weixin-h5': [
    ['h5-weixin', 'oauth', 'weixin'],
    ['h5', 'oauth', 'weixin'],
  ],
  'qq-app': [['app-plus', 'oauth', 'qq']],
}

const UNI_ID = 'uni-id/config.json'
const UNI_OPEN_BRIDGE = 'uni-open-bridge/config.json'

export interface UniConfigCenter {
  apps: ServiceApp[]
  /** `ipWhiteList` and `ipWhitelist` together (the sample config and the original's code spell it differently). */
  ipAllowList: string[] | undefined
  /** The files read, relative to the directory. */
  files: string[]
}

/**
 * Reads a uniCloud project's `uni-config-center` directory as uni-open-bridge does: apps from
 * `uni-id/config.json` (one config object, or an array of them for several dcloudAppids), the schedule and the
 * IP list from `uni-open-bridge/config.json` (optional). Messages name the file and the path in it, never a value.
 */
export async function readUniConfigCenter(dir: string): Promise<UniConfigCenter> {
  const uniId = await readJson(join(dir, UNI_ID), UNI_ID, true)
  const apps = appsOf(uniId)
  const bridgeConfig = await readJson(join(dir, UNI_OPEN_BRIDGE), UNI_OPEN_BRIDGE, false)
  const files = [UNI_ID]
  let ipAllowList: string[] | undefined
  if (bridgeConfig !== undefined) {
    files.push(UNI_OPEN_BRIDGE)
    if (!isPlainObject(bridgeConfig)) throw invalidConfig(UNI_OPEN_BRIDGE, 'must hold a JSON object')
    applySchedule(bridgeConfig.schedule, apps)
    for (const spelling of ['ipWhiteList', 'ipWhitelist'] as const) {
      const list = bridgeConfig[spelling]
      if (list === undefined) continue
      const at = `${UNI_OPEN_BRIDGE}:${spelling}`
      if (!Array.isArray(list)) throw invalidConfig(at, 'must be an array of IP addresses')
      list.forEach((ip, i) => {
        if (typeof ip !== 'string' || ip.length === 0) throw invalidConfig(`${at}[${i}]`, 'must be a non-empty string')
      })
      ipAllowList = [...new Set([...(ipAllowList ?? []), ...(list as string[])])]
    }
  }
  return { apps, ipAllowList, files }
}

function appsOf(uniId: unknown): ServiceApp[] {
  const configs = Array.isArray(uniId) ? uniId : [uniId]
  const apps: ServiceApp[] = []
  configs.forEach((config, index) => {
    const prefix = Array.isArray(uniId) ? `[${index}].` : ''
    if (!isPlainObject(config))
      throw invalidConfig(`${UNI_ID}:${prefix.slice(0, -1) || '(root)'}`, 'must be a JSON object (or an array of them)')
    const dcloudAppid = config.dcloudAppid
    if (dcloudAppid !== undefined && (typeof dcloudAppid !== 'string' || dcloudAppid.length === 0)) {
      throw invalidConfig(`${UNI_ID}:${prefix}dcloudAppid`, 'must be a non-empty string')
    }
    for (const [platform, current] of Object.entries(UNI_ID_PLATFORM_PATHS) as [Platform, readonly string[]][]) {
      // The first path that is there counts, as the original's findNode (an empty entry there is "not configured").
      let node: unknown
      let path: readonly string[] = current
      for (const candidate of [current, ...(LEGACY_UNI_ID_PATHS[platform] ?? [])]) {
        node = config
        for (const step of candidate) node = isPlainObject(node) ? node[step] : undefined
        path = candidate
        if (node !== undefined) break
      }
      if (node === undefined) continue
      const at = `${UNI_ID}:${prefix}${path.join('.')}`
      if (!isPlainObject(node)) throw invalidConfig(at, 'must be an object with appid and appsecret')
      const { appid, appsecret } = node
      // The documented sample ships empty placeholders: an entry without either is "not configured".
      if (isBlank(appid) && isBlank(appsecret)) continue
      if (typeof appid !== 'string' || appid.length === 0 || appid.includes(':'))
        throw invalidConfig(`${at}.appid`, "must be a non-empty string without ':'")
      if (appsecret !== undefined && typeof appsecret !== 'string')
        throw invalidConfig(`${at}.appsecret`, 'must be a string')
      apps.push({
        platform,
        appid,
        dcloudAppid: dcloudAppid as string | undefined,
        secret: isBlank(appsecret) ? undefined : (appsecret as string),
        tasks: [],
        field: at,
      })
    }
  })
  return apps
}

/**
 * `schedule: { <dcloudAppid>: { enable, <platform>: { enable, tasks } } }`. As in uni-open-bridge, an entry runs
 * only when both its `enable` flags are `true`. Every task name is checked, enabled or not: a typo is an error
 * now, not a crash at 3 am. An enabled task needs an app with a secret in uni-id's config.
 */
function applySchedule(schedule: unknown, apps: ServiceApp[]): void {
  if (schedule === undefined) return
  const root = `${UNI_OPEN_BRIDGE}:schedule`
  if (!isPlainObject(schedule)) throw invalidConfig(root, 'must be an object keyed by dcloudAppid')
  for (const [dcloudAppid, entry] of Object.entries(schedule)) {
    const at = `${root}.${dcloudAppid}`
    if (!isPlainObject(entry)) throw invalidConfig(at, 'must be an object: { enable, <platform>: { enable, tasks } }')
    checkFlag(entry.enable, `${at}.enable`)
    for (const [name, settings] of Object.entries(entry)) {
      if (name === 'enable') continue
      const pat = `${at}.${name}`
      // The first cloud object's samples key the schedule by `mp-weixin` / `h5-weixin`.
      const platform = currentPlatform(name) as string
      if (!(platform in UNI_ID_PLATFORM_PATHS))
        throw invalidConfig(pat, `names no platform (known: enable, ${Object.keys(UNI_ID_PLATFORM_PATHS).join(', ')})`)
      if (!isPlainObject(settings)) throw invalidConfig(pat, 'must be an object: { enable, tasks }')
      checkFlag(settings.enable, `${pat}.enable`)
      const tasks = settings.tasks ?? []
      if (!Array.isArray(tasks))
        throw invalidConfig(`${pat}.tasks`, `must be an array of task names (${SCHEDULE_TASKS.join(', ')})`)
      tasks.forEach((task: unknown, i: number) => {
        if (!isScheduleTask(task))
          throw invalidConfig(`${pat}.tasks[${i}]`, `must be one of ${SCHEDULE_TASKS.join(', ')}`)
        if (!TASK_PLATFORMS[task].includes(platform as Platform)) {
          throw invalidConfig(`${pat}.tasks[${i}]`, `${task} is fetched for ${TASK_PLATFORMS[task].join(', ')} only`)
        }
      })
      if (entry.enable !== true || settings.enable !== true || tasks.length === 0) continue
      const app = apps.find((a) => a.dcloudAppid === dcloudAppid && a.platform === platform)
      const where = `${UNI_ID}:${UNI_ID_PLATFORM_PATHS[platform as Platform].join('.')}`
      if (app === undefined)
        throw invalidConfig(
          pat,
          `is enabled, but ${UNI_ID} configures no ${platform} app for this dcloudAppid (${where})`,
        )
      if (app.secret === undefined)
        throw invalidConfig(pat, `is enabled, but ${where}.appsecret is empty: the scheduler needs it to fetch`)
      app.tasks = [...new Set([...app.tasks, ...(tasks as ScheduleTask[])])]
    }
  }
}

async function readJson(path: string, name: string, required: boolean): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ENOENT' && !required) return undefined
    throw new ServerError(
      'E_CONFIG_FILE',
      `${name} could not be read (${String(code ?? 'error')}) in the uni-config-center directory`,
      {
        field: name,
      },
    )
  }
  const parsed = parseJsonSafely(stripJsonComments(text.replace(/^\uFEFF/, '')))
  if (!parsed.ok) throw new ServerError('E_CONFIG_FILE', `${name} is not valid JSON (${parsed.where})`, { field: name })
  return parsed.value
}

function checkFlag(value: unknown, field: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw invalidConfig(field, 'must be true or false')
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}
