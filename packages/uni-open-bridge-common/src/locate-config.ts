import { access } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { CONFIG_FILE_NAMES } from '@open-bridge/server'
import { UniCommonError } from './errors.js'

/** A config file to read (`OPEN_BRIDGE_CONFIG`). Relative to the working directory. */
export const CONFIG_ENV = 'OPEN_BRIDGE_CONFIG'
/** A uniCloud project's `uni-config-center` directory (`OPEN_BRIDGE_UNI_CONFIG_CENTER`). Relative to the working directory. */
export const UNI_CONFIG_CENTER_ENV = 'OPEN_BRIDGE_UNI_CONFIG_CENTER'

/**
 * Where a uniCloud project keeps `uni-config-center`, relative to the project root, looked at in this order when
 * neither variable is set and no config file is found: the project's own common module (`uniCloud/…`, or
 * `uniCloud-aliyun` / `uniCloud-tcb` / `uniCloud-alipay` as HBuilderX names it per provider), then the
 * uni_modules plugin, then a bare `cloudfunctions/` copied out of a project. One counts when it holds `uni-id/config.json`.
 */
export const UNI_CONFIG_CENTER_DIRS = [
  'uniCloud/cloudfunctions/common/uni-config-center',
  'uniCloud-aliyun/cloudfunctions/common/uni-config-center',
  'uniCloud-tcb/cloudfunctions/common/uni-config-center',
  'uniCloud-alipay/cloudfunctions/common/uni-config-center',
  'uni_modules/uni-config-center/uniCloud/cloudfunctions/common/uni-config-center',
  'cloudfunctions/common/uni-config-center',
] as const

export interface ConfigLocation {
  /** A config file (absolute), if one was named or found. */
  configPath: string | undefined
  /** A uni-config-center directory (absolute), if one was named (`OPEN_BRIDGE_UNI_CONFIG_CENTER`). */
  uniConfigCenter: string | undefined
  /**
   * What looking for one in the uniCloud layout found (when none was named): read unless the config file says
   * `"uniConfigCenter": false` (or names its own).
   */
  discovered: { uniConfigCenter: string | undefined; searched: string } | undefined
}

/**
 * Finds what to build the bridge from: `OPEN_BRIDGE_CONFIG`, else the first of `open-bridge.config.json`, `.mjs`,
 * `.js` in `cwd`; `OPEN_BRIDGE_UNI_CONFIG_CENTER` if set, else the first of `UNI_CONFIG_CENTER_DIRS` that holds
 * `uni-id/config.json` — looked for whether or not there is a config file, so adding one (for stores, a proxy)
 * keeps the apps uni-id configures; the file may turn this off with `"uniConfigCenter": false`. Nothing found:
 * `E_NO_CONFIG`, listing every place looked at. Named paths are not checked here: the loader reports a missing one.
 */
export async function locateConfig(cwd: string, env: NodeJS.ProcessEnv): Promise<ConfigLocation> {
  const named = nonEmpty(env[CONFIG_ENV])
  const configPath =
    named !== undefined ? resolve(cwd, named) : await firstExisting(CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)))
  const namedDir = nonEmpty(env[UNI_CONFIG_CENTER_ENV])
  if (namedDir !== undefined) return { configPath, uniConfigCenter: resolve(cwd, namedDir), discovered: undefined }
  const found = await firstExisting(
    UNI_CONFIG_CENTER_DIRS.map((dir) => join(resolve(cwd, dir), 'uni-id', 'config.json')),
  )
  const discovered = {
    uniConfigCenter: found === undefined ? undefined : resolve(found, '..', '..'),
    searched: `looked for ${UNI_CONFIG_CENTER_DIRS.map((dir) => `${dir}/uni-id/config.json`).join(', ')} in ${cwd}`,
  }
  if (configPath === undefined && discovered.uniConfigCenter === undefined) {
    throw new UniCommonError(
      'E_NO_CONFIG',
      `no open-bridge configuration found: set ${CONFIG_ENV} (a config file) or ${UNI_CONFIG_CENTER_ENV} (a uni-config-center ` +
        `directory), or run where one of these is: ${[
          ...CONFIG_FILE_NAMES,
          ...UNI_CONFIG_CENTER_DIRS.map((dir) => `${dir}/uni-id/config.json`),
        ].join(', ')} ` +
        `(looked in ${cwd}; no file was read); or call configure({ bridge }) first`,
      { field: CONFIG_ENV },
    )
  }
  return { configPath, uniConfigCenter: undefined, discovered }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    try {
      await access(path)
      return path
    } catch {
      // Not there: the next one.
    }
  }
  return undefined
}
