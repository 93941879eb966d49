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
  /** A uni-config-center directory (absolute), if one was named or found. */
  uniConfigCenter: string | undefined
}

/**
 * Finds what to build the bridge from, in order: `OPEN_BRIDGE_CONFIG`, else the first of `open-bridge.config.json`,
 * `.mjs`, `.js` in `cwd`; plus `OPEN_BRIDGE_UNI_CONFIG_CENTER` if set, else — only when there is no config file —
 * the first of `UNI_CONFIG_CENTER_DIRS` that holds `uni-id/config.json`. Neither found: `E_NO_CONFIG`, listing
 * every place looked at. Named paths are not checked here: the loader reports a missing one, naming it.
 */
export async function locateConfig(cwd: string, env: NodeJS.ProcessEnv): Promise<ConfigLocation> {
  const named = nonEmpty(env[CONFIG_ENV])
  const configPath =
    named !== undefined ? resolve(cwd, named) : await firstExisting(CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)))
  const namedDir = nonEmpty(env[UNI_CONFIG_CENTER_ENV])
  let uniConfigCenter = namedDir !== undefined ? resolve(cwd, namedDir) : undefined
  if (uniConfigCenter === undefined && configPath === undefined) {
    const found = await firstExisting(
      UNI_CONFIG_CENTER_DIRS.map((dir) => join(resolve(cwd, dir), 'uni-id', 'config.json')),
    )
    if (found !== undefined) uniConfigCenter = resolve(found, '..', '..')
  }
  if (configPath === undefined && uniConfigCenter === undefined) {
    throw new UniCommonError(
      'E_NO_CONFIG',
      `no open-bridge configuration found: set ${CONFIG_ENV} (a config file) or ${UNI_CONFIG_CENTER_ENV} (a uni-config-center ` +
        `directory), or run where one of these is: ${[
          ...CONFIG_FILE_NAMES,
          ...UNI_CONFIG_CENTER_DIRS.map((dir) => `${dir}/uni-id/config.json`),
        ].join(', ')} ` +
        `(looked in ${cwd}); or call configure({ bridge }) first`,
      { field: CONFIG_ENV },
    )
  }
  return { configPath, uniConfigCenter }
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
