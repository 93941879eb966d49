/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or only those whose name contains an argument),
 * one after the other. Each module exports `run(): Promise<void>` and prints its own table.
 */
import { readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const filters = process.argv.slice(2)
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort()

console.log(`node ${process.version}, ${process.platform}/${process.arch}`)
for (const file of files) {
  const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as { run: () => Promise<void> }
  await mod.run()
}
