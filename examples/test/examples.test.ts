import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

/** The examples are run as a user runs them (plain node, against the built packages) and their output checked. */
const run = promisify(execFile)
const examples = fileURLToPath(new URL('..', import.meta.url))

describe('examples', () => {
  it('quick-start.mjs', async () => {
    const { stdout } = await run(process.execPath, ['quick-start.mjs'], { cwd: examples })
    expect(stdout).toContain("read back: { access_token: 't' }")
    expect(stdout).toContain("50 callers, 1 fallback call, all got: { ticket: 'jsapi-ticket' }")
    expect(stdout).toContain('refused: E_INVALID_KEY key.openid')
  })
})
