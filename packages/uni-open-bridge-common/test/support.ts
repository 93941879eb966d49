import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A uniCloud project with `uniCloud/cloudfunctions/common/uni-config-center` (uni-id and uni-open-bridge configs). */
export const UNICLOUD_PROJECT = fileURLToPath(new URL('./fixtures/unicloud-project', import.meta.url))
export const UNI_CONFIG_CENTER = 'uniCloud/cloudfunctions/common/uni-config-center'

/** A fresh working directory, optionally a copy of the uniCloud project; `cleanup` removes it. */
export async function workDir(
  options: { unicloud?: boolean } = {},
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ob-uobc-'))
  if (options.unicloud) await cp(UNICLOUD_PROJECT, dir, { recursive: true })
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2))
}
