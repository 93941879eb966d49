import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

/** Run as a user runs it (plain node, against the built packages), like the other examples. */
const run = promisify(execFile)
const examples = fileURLToPath(new URL('..', import.meta.url))

describe('examples', () => {
  it('receive-push.mjs: a node:http receiver, tested with the fake platform push sender', async () => {
    const { stdout } = await run(process.execPath, ['receive-push.mjs'], { cwd: examples })
    expect(stdout).toContain('reply: success - ticket stored: true')
    expect(stdout).toContain('the same push again: success - handled once: true')
    expect(stdout).toContain('refused: E_PUSH_SIGNATURE')
    expect(stdout).toContain('a forged push is answered 401')
    expect(stdout).not.toMatch(/myPushToken2024|ticket@@@demo/)
  })
})
