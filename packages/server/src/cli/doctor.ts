import type { CredentialStore } from '@open-bridge/core'
import {
  COMPONENT_TICKET_LIFE_SECONDS,
  componentTicketAge,
  SUITE_TICKET_LIFE_SECONDS,
  wecomCorpToken,
  wecomProviderToken,
  wecomSuiteToken,
} from '@open-bridge/wechat-fetchers'
import { loadConfig, type LoadConfigOptions } from '../config/load-config.js'
import type { ServiceConfig } from '../config/service-config.js'
import { SIGNATURE_WINDOW_SECONDS } from '@open-bridge/remote'
import { PROBE_KEY, failureName, getWithTimeout, lifeLeft } from '../metrics/tier-probe.js'
import { authorisedCorps } from '../wecom/authorised-corps.js'
import { suiteTicketAge } from '../wecom/suite-ticket-age.js'
import { suiteCallbackPath } from '../wecom/wecom-routes.js'
import { TASK_PLATFORMS } from '../scheduler/tasks.js'
import { EXIT, exitCodeOf, type ExitCode } from './exit-codes.js'
import { Output, showError, type ShownIpDiagnosis } from './output.js'
import { openConfiguredBridge } from '../configured-bridge.js'
import { RemoteClient, type RemoteAnswer } from './remote-client.js'

/** One line of the report. `exitCode` is set on a failed check: the command exits with the first one's. */
export interface Check {
  check: string
  status: 'ok' | 'warn' | 'fail' | 'skip'
  detail: string
  latencyMs?: number
  code?: string
  platformErrcode?: number
  category?: string
  /** The platform refused this server's IP: which IP it saw, where to add it (or that an admin must confirm it). */
  ipDiagnosis?: ShownIpDiagnosis
  exitCode?: ExitCode
}

/** A check that failed with `error`: its message (free of secrets), its code and the exit code that goes with it. */
function failedCheck(check: string, error: unknown): Check {
  const shown = showError(error)
  return { check, status: 'fail', detail: shown.message, code: shown.code, exitCode: exitCodeOf(shown.code) }
}

export interface DoctorOptions {
  config?: string
  uniConfigCenter?: string
  remote?: string
  secret?: string | undefined
  live?: boolean
  timeoutMs: number
  json?: boolean
}

/** Clock skew worth a warning: a fifth of the signing window. */
const SKEW_WARN_SECONDS = 60

/**
 * `open-bridge doctor`: with a config, checks it (named errors), reaches every tier (one read each, with its
 * latency) and, with `--live`, asks the platform for each app's access_token once (through the source; see
 * `liveChecks` for when the token is stored). With `--remote`, reaches the service, reads its tiers' readiness, compares the clocks (the
 * server's `Date` header against the ±5 min signing window) and checks that a signed request is accepted.
 */
export async function runDoctor(options: DoctorOptions): Promise<ExitCode> {
  const output = new Output(options.json === true)
  const checks: Check[] = []
  try {
    if (options.remote !== undefined) await remoteChecks(options, checks)
    else await localChecks(options, checks)
  } catch (error) {
    return output.fail(error)
  }
  const failed = checks.find((check) => check.status === 'fail')
  const exitCode = failed?.exitCode ?? EXIT.ok
  output.result(
    {
      command: 'doctor',
      mode: options.remote !== undefined ? 'remote' : 'config',
      ok: failed === undefined,
      exitCode,
      checks,
    },
    [
      ...checks.map(
        (c) =>
          `${c.status.padEnd(4)}  ${c.check.padEnd(24)} ${c.detail}${c.latencyMs !== undefined ? ` (${c.latencyMs} ms)` : ''}${
            c.code ? ` [${c.code}]` : ''
          }`,
      ),
      failed === undefined
        ? 'all checks passed'
        : `failed: ${checks.filter((c) => c.status === 'fail').length} check(s)`,
    ],
  )
  return exitCode
}

async function localChecks(options: DoctorOptions, checks: Check[]): Promise<void> {
  let config: ServiceConfig
  try {
    config = await loadConfig({
      configPath: options.config,
      uniConfigCenter: options.uniConfigCenter,
    } satisfies LoadConfigOptions)
  } catch (error) {
    checks.push(failedCheck('config', error))
    return
  }
  const { file, uniConfigCenter } = config.origin
  checks.push({
    check: 'config',
    status: 'ok',
    detail:
      `${[file, uniConfigCenter].filter(Boolean).join(' + ') || 'no config file: the embedded default'}: ` +
      `${config.stores.length} tier(s), ${config.apps.length} app(s)`,
  })
  for (const spec of config.stores) checks.push(...(await probeTier(spec, options.timeoutMs)))
  for (const app of config.apps) {
    const name = `${app.platform} ${app.appid}${app.dcloudAppid !== undefined ? ` (${app.dcloudAppid})` : ''}`
    checks.push({
      check: `app ${app.field}`,
      status: 'ok',
      detail: `${name}: secret ${app.secret !== undefined ? 'set' : 'not set'}, scheduled ${app.tasks.join(', ') || 'nothing'}`,
    })
  }
  if (config.openPlatform.length > 0) await ticketChecks(config, checks)
  if (config.wecom !== undefined) await wecomChecks(config, config.wecom, options.timeoutMs, checks)
  if (options.live) await liveChecks(config, options.timeoutMs, checks)
}

/** A ticket older than this means pushes stopped (WeChat pushes every 10 minutes). */
const TICKET_STALE_SECONDS = 1800

/**
 * Each component's newest pushed component_verify_ticket: its age (read from the tiers, no platform call) and, when
 * pushes stopped or never came, how to resume them. Past 12 h no component token can be fetched: a failure.
 */
async function ticketChecks(config: ServiceConfig, checks: Check[]): Promise<void> {
  let opened: Awaited<ReturnType<typeof openConfiguredBridge>>
  try {
    opened = await openConfiguredBridge(config)
  } catch (error) {
    checks.push(failedCheck('open platform', error))
    return
  }
  try {
    for (const { componentAppid } of config.openPlatform) {
      const check = `ticket ${componentAppid}`
      const resume =
        `check that WeChat reaches POST /open-platform/${componentAppid}/events (the platform's authorisation event URL, ` +
        `Token and EncodingAESKey), then \`open-bridge open-platform start-push ${componentAppid}\` asks it to resume pushing (api_start_push_ticket)`
      let age: number | null
      try {
        age = await componentTicketAge(opened.bridge, componentAppid)
      } catch (error) {
        checks.push(failedCheck(check, error))
        continue
      }
      if (age === null) {
        checks.push({ check, status: 'warn', detail: `no component_verify_ticket has been pushed yet: ${resume}` })
      } else if (age <= TICKET_STALE_SECONDS) {
        checks.push({
          check,
          status: 'ok',
          detail: `component_verify_ticket pushed ${age} s ago (ticketAgeSeconds ${age})`,
        })
      } else if (age < COMPONENT_TICKET_LIFE_SECONDS) {
        checks.push({
          check,
          status: 'warn',
          detail: `the newest component_verify_ticket is ${age} s old: pushes stopped (one comes every 600 s; it dies at ${COMPONENT_TICKET_LIFE_SECONDS} s): ${resume}`,
        })
      } else {
        checks.push({
          check,
          status: 'fail',
          detail: `the newest component_verify_ticket is ${age} s old, past its 12 h life: no component or authorizer token can be fetched: ${resume}`,
          code: 'E_COMPONENT_TICKET_EXPIRED',
          exitCode: EXIT.failed,
        })
      }
    }
  } finally {
    await opened.bridge.close()
  }
}

/** A suite_ticket older than this means pushes stopped (WeCom pushes every 10 minutes; it lives 30). */
const SUITE_TICKET_STALE_SECONDS = 1200

/**
 * WeCom, read from the tiers (no platform call, never a credential): each suite's newest suite_ticket age (or that
 * none has arrived, and where to look: the suite's command callback URL), how many corps authorised it, whether its
 * suite token is held; the provider token and each self-built app's token, held or not, with their life left.
 */
async function wecomChecks(
  config: ServiceConfig,
  wecom: NonNullable<ServiceConfig['wecom']>,
  timeoutMs: number,
  checks: Check[],
): Promise<void> {
  let opened: Awaited<ReturnType<typeof openConfiguredBridge>>
  try {
    opened = await openConfiguredBridge(config)
  } catch (error) {
    checks.push(failedCheck('wecom', error))
    return
  }
  const { bridge, stores } = opened
  const held = async (storageKey: string) => {
    const left = await lifeLeft(stores, storageKey, timeoutMs)
    return left === undefined ? 'not held' : left === Infinity ? 'held' : `held, ${Math.round(left)} s left`
  }
  try {
    const suites = wecom.suites.map((suite) => suite.suiteId)
    const corps = await authorisedCorps(stores, suites)
    for (const suiteId of suites) {
      const check = `wecom suite ${suiteId}`
      const callback = `check the suite's command callback URL (指令回调URL) in the WeCom provider console: it must reach POST ${suiteCallbackPath(suiteId)} on this service, with the suite's Token and EncodingAESKey`
      const counted = `${corps.get(suiteId)?.size ?? 0} corp(s) authorised; suite token ${await held(wecomSuiteToken.storageKey({ suiteId }))}`
      let age: number | null
      try {
        age = await suiteTicketAge(bridge, suiteId)
      } catch (error) {
        checks.push(failedCheck(check, error))
        continue
      }
      if (age === null) {
        checks.push({
          check,
          status: 'warn',
          detail: `no suite_ticket held (none has arrived, or the last one is past its 30 min): ${callback}; ${counted}`,
        })
      } else if (age <= SUITE_TICKET_STALE_SECONDS) {
        checks.push({
          check,
          status: 'ok',
          detail: `suite_ticket pushed ${age} s ago (ticketAgeSeconds ${age}); ${counted}`,
        })
      } else {
        checks.push({
          check,
          status: 'warn',
          detail: `the newest suite_ticket is ${age} s old: pushes stopped (one comes every 600 s; it dies at ${SUITE_TICKET_LIFE_SECONDS} s): ${callback}; ${counted}`,
        })
      }
    }
    const provider = wecom.source.provider
    if (provider !== undefined) {
      checks.push({
        check: `wecom provider ${provider.corpId}`,
        status: 'ok',
        detail: `provider token ${await held(wecomProviderToken.storageKey({ providerCorpId: provider.corpId }))}`,
      })
    }
    for (const corp of wecom.source.corps ?? []) {
      for (const agent of corp.agents) {
        const key = { corpId: corp.corpId, agentId: String(agent.agentId) }
        checks.push({
          check: `wecom app ${key.corpId} ${key.agentId}`,
          status: 'ok',
          detail: `corp token ${await held(wecomCorpToken.storageKey(key))} (self-built: secret set)`,
        })
      }
    }
  } finally {
    await bridge.close()
  }
}

async function probeTier(spec: ServiceConfig['stores'][number], timeoutMs: number): Promise<Check[]> {
  const check = `tier ${spec.name}`
  let store: CredentialStore
  try {
    store = spec.create()
  } catch (error) {
    const shown = showError(error)
    return [
      {
        check,
        status: 'fail',
        detail: `${spec.label}: could not be created`,
        code: shown.code,
        exitCode: EXIT.config,
      },
    ]
  }
  const begun = performance.now()
  try {
    await getWithTimeout(store, PROBE_KEY, timeoutMs)
    const reached: Check = {
      check,
      status: 'ok',
      detail: `${spec.label}: reached`,
      latencyMs: Math.round((performance.now() - begun) * 10) / 10,
    }
    return store.persistence === undefined ? [reached] : [reached, await persistenceCheck(spec, store, timeoutMs)]
  } catch (error) {
    return [
      {
        check,
        status: 'fail',
        detail: `${spec.label}: not reached`,
        latencyMs: Math.round(performance.now() - begun),
        code: failureName(error),
        exitCode: EXIT.unreachable,
      },
    ]
  } finally {
    await Promise.race([
      store.close().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 1_000).unref()),
    ])
  }
}

/**
 * Does a tier whose persistence is its backend's configuration (Redis) keep what it holds across a restart? A warning
 * when it does not: every credential in it is lost with a restart, and those that cannot be fetched again — session
 * keys, users' refresh tokens, durable kinds (authorizer refresh tokens, permanent codes, pushed tickets) — are gone
 * for good unless another persistent tier holds them.
 */
async function persistenceCheck(
  spec: ServiceConfig['stores'][number],
  store: CredentialStore,
  timeoutMs: number,
): Promise<Check> {
  const check = `persistence ${spec.name}`
  try {
    const answer = await Promise.race([
      store.persistence!(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'E_TIMEOUT' })), timeoutMs).unref(),
      ),
    ])
    if (answer.persists === true) return { check, status: 'ok', detail: `${spec.label}: persists (${answer.detail})` }
    if (answer.persists === undefined) return { check, status: 'skip', detail: `${spec.label}: ${answer.detail}` }
    return {
      check,
      status: 'warn',
      detail:
        `${spec.label}: persistence is off (${answer.detail}): a restart of it loses every credential it holds, and ` +
        "those that cannot be fetched again (session keys, users' refresh tokens, durable kinds) for good — turn on " +
        'AOF (appendonly yes) or RDB snapshots (save), or add a SQLite / MongoDB tier',
    }
  } catch (error) {
    return { check, status: 'skip', detail: `${spec.label}: could not ask (${failureName(error)})` }
  }
}

/**
 * One access_token fetch per app, through the source. In `stable` mode (WeChat's default but for weixin-h5) the
 * fetch goes straight to the source and is not stored: the platform answers the token it holds, so nothing
 * changes. In `classic` mode (weixin-h5's default) and for QQ every fetch issues a new token and cuts the old one to
 * 5 minutes, so that fetch is a `refresh` through the bridge over the config's tiers: the new token is stored, under
 * the refresh lock, and the deployment switches to it (within its memory tier's `maxTtl`) instead of meeting 40001.
 */
async function liveChecks(config: ServiceConfig, timeoutMs: number, checks: Check[]): Promise<void> {
  let opened: Awaited<ReturnType<typeof openConfiguredBridge>>
  try {
    opened = await openConfiguredBridge(config)
  } catch (error) {
    checks.push(failedCheck('live', error))
    return
  }
  const { bridge } = opened
  try {
    for (const app of config.apps) {
      const check = `live ${app.platform} ${app.appid}`
      if (app.secret === undefined) {
        checks.push({ check, status: 'skip', detail: 'no secret: nothing to ask the platform with' })
        continue
      }
      if (!TASK_PLATFORMS.accessToken.includes(app.platform)) {
        checks.push({ check, status: 'skip', detail: `no app access_token is fetched for ${app.platform}` })
        continue
      }
      const key = { appid: app.appid, platform: app.platform }
      const begun = performance.now()
      try {
        let detail: string
        if (rotates(config, app.platform)) {
          await bridge.refresh('access_token', key)
          detail = 'access_token fetched and stored (each fetch rotates it here, so the deployment now uses this one)'
        } else {
          const resolved = bridge.resolve('access_token', key)
          const signal = AbortSignal.any([resolved.ctx.signal, AbortSignal.timeout(timeoutMs)])
          const result = await bridge.source!.fetch('access_token', resolved.key, { ...resolved.ctx, signal })
          if (result === null) throw Object.assign(new Error('the source fetched nothing'), { code: 'E_NO_CREDENTIAL' })
          detail = `access_token fetched (lives ${result.expiresIn} s; not stored)`
        }
        checks.push({ check, status: 'ok', detail, latencyMs: Math.round(performance.now() - begun) })
      } catch (error) {
        const shown = showError(error)
        checks.push({
          check,
          status: 'fail',
          detail: shown.message,
          latencyMs: Math.round(performance.now() - begun),
          code: shown.code,
          ...(shown.platformErrcode !== undefined ? { platformErrcode: shown.platformErrcode } : {}),
          ...(shown.category !== undefined ? { category: shown.category } : {}),
          ...(shown.ipDiagnosis !== undefined ? { ipDiagnosis: shown.ipDiagnosis } : {}),
          exitCode: exitCodeOf(shown.code) === EXIT.notFound ? EXIT.failed : exitCodeOf(shown.code),
        })
      }
    }
  } finally {
    await bridge.close()
  }
}

/** Does fetching this platform's access_token replace the one held (wechat-fetchers' `classic` mode, and QQ)? */
function rotates(config: ServiceConfig, platform: ServiceConfig['apps'][number]['platform']): boolean {
  if (!platform.startsWith('weixin-')) return true
  const mode =
    config.wechat.accessTokenMode?.[platform as keyof NonNullable<ServiceConfig['wechat']['accessTokenMode']>]
  return (mode ?? (platform === 'weixin-h5' ? 'classic' : 'stable')) === 'classic'
}

async function remoteChecks(options: DoctorOptions, checks: Check[]): Promise<void> {
  const client = new RemoteClient({ url: options.remote!, secret: options.secret, timeoutMs: options.timeoutMs })
  let health: RemoteAnswer
  try {
    health = await client.send('GET', '/healthz')
  } catch (error) {
    checks.push(failedCheck('reach', error))
    return
  }
  checks.push({
    check: 'reach',
    status: health.status === 200 ? 'ok' : 'fail',
    detail: `${client.label}/healthz answered ${health.status}`,
    latencyMs: health.latencyMs,
    ...(health.status === 200 ? {} : { exitCode: EXIT.unreachable }),
  })
  checks.push(clockCheck(health.headers.get('date'), health.midpoint))
  checks.push(await signatureCheck(client))
  checks.push(...(await readinessChecks(client)))
}

function clockCheck(date: string | null, midpoint: number): Check {
  const serverMs = date === null ? NaN : Date.parse(date)
  if (Number.isNaN(serverMs))
    return { check: 'clock', status: 'warn', detail: 'the server sent no Date header: skew unknown' }
  // Date has whole seconds: the server's clock is somewhere in [serverMs, serverMs + 1 s).
  const skew = Math.round((serverMs + 500 - midpoint) / 1000)
  const detail = `skew ${skew >= 0 ? '+' : ''}${skew} s against the server (signatures allow ±${SIGNATURE_WINDOW_SECONDS} s)`
  if (Math.abs(skew) >= SIGNATURE_WINDOW_SECONDS)
    return { check: 'clock', status: 'fail', detail, code: 'E_CLOCK_SKEW', exitCode: EXIT.refused }
  return { check: 'clock', status: Math.abs(skew) > SKEW_WARN_SECONDS ? 'warn' : 'ok', detail }
}

/**
 * A signed `POST /getAccessToken` with an empty body: the server checks IP and signature before the body, so a
 * 400 (body refused) means the signature was accepted — and no credential is read.
 */
async function signatureCheck(client: RemoteClient): Promise<Check> {
  const check = 'signature'
  let answer: RemoteAnswer
  try {
    answer = await client.send('POST', '/getAccessToken', '{}')
  } catch (error) {
    return failedCheck(check, error)
  }
  const { errCode } = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as {
    errCode?: unknown
  }
  if (answer.status === 400) {
    return {
      check,
      status: 'ok',
      detail: client.signs ? 'a signed request is accepted' : 'the server takes unsigned requests',
      latencyMs: answer.latencyMs,
    }
  }
  if (answer.status === 401) {
    return {
      check,
      status: 'fail',
      detail: client.signs
        ? 'the server refused the signature (wrong secret, or clock)'
        : 'the server wants signed requests: give OPEN_BRIDGE_SECRET',
      code: 'E_UNAUTHORIZED',
      exitCode: EXIT.refused,
    }
  }
  if (answer.status === 403)
    return {
      check,
      status: 'fail',
      detail: 'this address is not in the server’s IP allow-list',
      code: 'E_FORBIDDEN',
      exitCode: EXIT.refused,
    }
  return {
    check,
    status: 'fail',
    detail: `unexpected answer HTTP ${answer.status}`,
    ...(typeof errCode === 'string' ? { code: errCode } : {}),
    exitCode: EXIT.failed,
  }
}

async function readinessChecks(client: RemoteClient): Promise<Check[]> {
  let answer: RemoteAnswer
  try {
    answer = await client.send('GET', '/readyz', undefined, false)
  } catch (error) {
    return [failedCheck('tiers', error)]
  }
  const report = answer.body as { ready?: unknown; tiers?: unknown } | undefined
  if (!report || !Array.isArray(report.tiers)) {
    return [
      {
        check: 'tiers',
        status: 'fail',
        detail: `/readyz answered ${answer.status} without a tier report`,
        exitCode: EXIT.failed,
      },
    ]
  }
  return (report.tiers as Array<{ name?: unknown; state?: unknown; latencyMs?: unknown; error?: unknown }>).map(
    (tier) => ({
      check: `remote tier ${String(tier.name)}`,
      status: tier.state === 'up' ? 'ok' : 'fail',
      detail: `state ${String(tier.state)}`,
      ...(typeof tier.latencyMs === 'number' ? { latencyMs: tier.latencyMs } : {}),
      ...(typeof tier.error === 'string' ? { code: tier.error } : {}),
      ...(tier.state === 'up' ? {} : { exitCode: EXIT.unreachable }),
    }),
  )
}
