// Checks every publishable package the way a consumer sees it: publint (package.json and files) and
// @arethetypeswrong/cli (types resolve for ESM and CJS consumers under node16 resolution).
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const dirs = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(root, 'packages', entry.name))
  .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private)

let failed = 0
for (const dir of dirs) {
  const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name
  for (const [tool, args] of [
    ['publint', ['--strict', dir]],
    ['attw', ['--pack', dir, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync(bin(tool), args, { stdio: 'pipe', encoding: 'utf8' })
      console.log(`ok   ${tool} ${name}`)
    } catch (error) {
      failed++
      console.log(`FAIL ${tool} ${name}\n${error.stdout ?? ''}${error.stderr ?? ''}`)
    }
  }
}
console.log(`${dirs.length * 2 - failed} passed, ${failed} failed`)
if (failed > 0) process.exit(1)
