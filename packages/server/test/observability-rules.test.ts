import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createBridge, memoryStore } from '@open-bridge/core'
import { describe, expect, it } from 'vitest'
import { createServiceMetrics } from '../src/metrics/service-metrics.js'

const DIR = fileURLToPath(new URL('../observability/', import.meta.url))
const RULES = readFileSync(`${DIR}alerts.yml`, 'utf8')
const RULE_TESTS = readFileSync(`${DIR}alerts.test.yml`, 'utf8')

/**
 * promtool, from Debian's `prometheus` package (`apt-get install -y prometheus`; `.ci/run` installs it). Missing, the
 * tests fail — loudly, never skipped: the rules would ship untested.
 */
function promtool(args: string[]): { code: number | null; out: string } {
  const run = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 })
  if (run.error !== undefined) {
    throw new Error(
      `promtool could not be run (${(run.error as NodeJS.ErrnoException).code}): install it with \`apt-get install -y prometheus\``,
    )
  }
  return { code: run.status, out: `${run.stdout}${run.stderr}` }
}

const alertNames = [...RULES.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]!)

describe('observability/alerts.yml (promtool)', () => {
  it('promtool check rules: the rules are valid', () => {
    const { code, out } = promtool(['check', 'rules', 'alerts.yml'])
    expect(code, out).toBe(0)
    expect(out).toContain(`SUCCESS: ${alertNames.length} rules found`)
  })

  it('promtool test rules: every alert fires (and stays quiet) as its unit tests say', () => {
    const { code, out } = promtool(['test', 'rules', 'alerts.test.yml'])
    expect(code, out).toBe(0)
    expect(out).toContain('SUCCESS')
  })

  it('every alert has a unit test that expects it to fire', () => {
    expect(alertNames.length).toBeGreaterThanOrEqual(10)
    for (const name of alertNames) {
      // An alert_rule_test for the alert whose exp_alerts is not empty.
      const firing = new RegExp(`alertname: ${name}\\n\\s+exp_alerts:\\n\\s+- exp_labels`)
      expect(RULE_TESTS, `no test expects ${name} to fire`).toMatch(firing)
    }
  })

  it('every open_bridge_* metric the rules and the dashboard read is one the service exports', async () => {
    const bridge = createBridge({ stores: [memoryStore()] })
    const metrics = createServiceMetrics({ bridge, stores: [], credentials: [], processMetrics: true })
    const { body } = await metrics.hooks.render()
    metrics.close()
    await bridge.close()
    const exported = new Set([...body.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => m[1]!))
    const dashboard = readFileSync(`${DIR}grafana-dashboard.json`, 'utf8')
    const read = new Set(
      [...`${RULES}${dashboard}`.matchAll(/\b((?:open_bridge|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]!),
    )
    expect(read.size).toBeGreaterThanOrEqual(10)
    for (const name of read) {
      const base = name.replace(/_(bucket|count|sum)$/, '')
      expect(exported.has(name) || exported.has(base), `${name} is not exported by the service`).toBe(true)
    }
  })
})
