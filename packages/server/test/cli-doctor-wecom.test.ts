/**
 * `open-bridge doctor` with `wecom` configured (real child processes over a real SQLite file): each suite's
 * suite_ticket age, or that none has arrived and where to look; how many corps authorised it; the provider's and
 * the self-built apps' tokens held or not — and never a secret, a ticket, a token or a permanent code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@open-bridge/adapter-sqlite'
import { createBridge } from '@open-bridge/core'
import { wecomCorpToken, wecomPermanentCode, wecomProviderToken, wecomSuiteTicket } from '@open-bridge/wechat-fetchers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, type CliRun } from './cli-run.js'

const SUITE = 'wwdoctorsuite0001'
const QUIET = 'wwdoctorquiet0001'
const CORP = 'wwdoctorcorp00001'
const PROVIDER = 'wwdoctorprov00001'
const ENV = {
  DOC_APP: 'DOC-wecom-app-secret-4d3c',
  DOC_SUITE: 'DOC-suite-secret-2b1a',
  DOC_TOKEN: 'DocSuiteToken01',
  DOC_AES: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  DOC_PROVIDER: 'DOC-provider-secret-8e7f',
}
const TICKET = 'DOC-SUITE-TICKET-5a6b7c'
const PERMANENT = 'DOC-PERMANENT-CODE-'
const CORP_TOKEN = 'DOC-CORP-TOKEN-9f8e'

type Check = { check: string; status: string; detail: string }

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ob-doctor-wecom-'))
  const suite = (suiteId: string) => ({
    suiteId,
    suiteSecret: { env: 'DOC_SUITE' },
    token: { env: 'DOC_TOKEN' },
    encodingAESKey: { env: 'DOC_AES' },
  })
  await writeFile(
    join(dir, 'open-bridge.config.json'),
    JSON.stringify({
      stores: ['memory', 'sqlite:./doctor.db'],
      wecom: {
        apps: [{ corpId: CORP, agentId: 1000002, secret: { env: 'DOC_APP' } }],
        suites: [suite(SUITE), suite(QUIET)],
        provider: { corpId: PROVIDER, providerSecret: { env: 'DOC_PROVIDER' } },
      },
    }),
  )
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const all = (run: CliRun) => run.stdout + run.stderr
const doctor = () => runCli(['doctor', '--json'], { cwd: dir, env: ENV })
const wecomChecks = (run: CliRun) => (run.json().checks as Check[]).filter((check) => check.check.startsWith('wecom '))

describe('open-bridge doctor with WeCom', { timeout: 120_000 }, () => {
  it('no ticket yet: a warning naming the command callback URL; tokens not held; nothing secret shown', async () => {
    const run = await doctor()
    expect(run.code, all(run)).toBe(0) // warnings only
    const checks = wecomChecks(run)
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      [`wecom suite ${SUITE}`, 'warn'],
      [`wecom suite ${QUIET}`, 'warn'],
      [`wecom provider ${PROVIDER}`, 'ok'],
      [`wecom app ${CORP} 1000002`, 'ok'],
    ])
    expect(checks[0]!.detail).toContain('no suite_ticket held')
    expect(checks[0]!.detail).toContain(`command callback URL (指令回调URL)`)
    expect(checks[0]!.detail).toContain(`POST /wecom/suites/${SUITE}/callback`)
    expect(checks[0]!.detail).toContain('0 corp(s) authorised; suite token not held')
    expect(checks[2]!.detail).toBe('provider token not held')
    expect(checks[3]!.detail).toBe('corp token not held (self-built: secret set)')
    for (const secret of Object.values(ENV)) expect(all(run)).not.toContain(secret)
  })

  it('a ticket pushed 2 min ago, 3 corps authorised, tokens held: their ages and counts, never their values', async () => {
    // What the service would have stored: written through a bridge over the same SQLite file.
    const bridge = createBridge({ stores: [sqliteStore({ path: join(dir, 'doctor.db') })] })
    const now = Math.floor(Date.now() / 1000)
    await bridge
      .credential(wecomSuiteTicket)
      .set({ suiteId: SUITE }, { suite_ticket: TICKET, created_at: String(now - 120) }, 1680)
    for (const corpId of ['wwauthcorp0000001', 'wwauthcorp0000002', 'wwauthcorp0000003']) {
      await bridge
        .credential(wecomPermanentCode)
        .set({ suiteId: SUITE, corpId }, { permanent_code: `${PERMANENT}${corpId}`, agent_ids: '1000001' }, -1)
    }
    await bridge
      .credential(wecomCorpToken)
      .set({ corpId: CORP, agentId: '1000002' }, { access_token: CORP_TOKEN }, 7000)
    await bridge
      .credential(wecomProviderToken)
      .set({ providerCorpId: PROVIDER }, { provider_access_token: CORP_TOKEN }, 3000)
    await bridge.close()

    const run = await doctor()
    expect(run.code, all(run)).toBe(0)
    const checks = wecomChecks(run)
    expect(checks[0]).toMatchObject({ check: `wecom suite ${SUITE}`, status: 'ok' })
    expect(checks[0]!.detail).toMatch(
      /^suite_ticket pushed 1[12]\d s ago \(ticketAgeSeconds 1[12]\d\); 3 corp\(s\) authorised; suite token not held$/,
    )
    expect(checks[1]).toMatchObject({ check: `wecom suite ${QUIET}`, status: 'warn' })
    expect(checks[1]!.detail).toContain('0 corp(s) authorised')
    expect(checks[2]!.detail).toMatch(/^provider token held, (29\d\d|3000) s left$/)
    expect(checks[3]!.detail).toMatch(/^corp token held, (69\d\d|7000) s left \(self-built: secret set\)$/)
    for (const secret of [...Object.values(ENV), TICKET, PERMANENT, CORP_TOKEN]) expect(all(run)).not.toContain(secret)
  })
})
