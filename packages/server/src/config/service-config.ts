import type { ResolvedWecomConfig } from '../wecom/wecom-config.js'
import type { AppConfig, EncryptionOptions } from '@open-bridge/core'
import type { WechatSourceOptions } from '@open-bridge/wechat-fetchers'
import type { AuthOptions } from '../app-options.js'
import type { ConnectionLimits } from '../http/connection-limits.js'
import type { ScheduleTask } from '../scheduler/tasks.js'
import type { ServiceComponent } from './component-config.js'
import type { LogLevel } from './config-file.js'
import type { StoreSpec } from './store-url.js'

/** An app with its secret resolved and the tasks the scheduler runs for it. */
export interface ServiceApp extends AppConfig {
  tasks: ScheduleTask[]
  /** Where it was configured, for messages: `apps[1]` or `uni-id/config.json:mp-weixin.oauth.weixin`. */
  field: string
}

/** Everything `serve` needs, validated, with defaults filled in and secrets resolved. */
export interface ServiceConfig {
  /**
   * Where it came from: the config file read, the uni-config-center directory, or neither (the embedded default);
   * `files`, every file read (absolute); `discovery`, what became of looking for a uni-config-center (when the
   * caller looked, as the uni-open-bridge-common drop-in does). Said in `E_UNKNOWN_APP` messages.
   */
  origin: {
    file: string | undefined
    uniConfigCenter: string | undefined
    files?: readonly string[]
    discovery?: string | undefined
  }
  stores: StoreSpec[]
  apps: ServiceApp[]
  schedule: { enable: boolean; cron: string; jitterMs: number; timezone: string | undefined }
  server: {
    host: string
    port: number
    bodyLimit: number | undefined
    limits: ConnectionLimits
    drainMs: number
    shutdownGraceMs: number
    allowedHosts: string[] | undefined
    auth: AuthOptions
  }
  log: { level: LogLevel }
  /** Passed to `createBridge` as they are (refreshAhead, fetchTimeout, lock, failureBackoff, breaker). */
  refresh: Record<string, unknown>
  wechat: WechatSourceOptions
  /** Encryption at rest, keys resolved and checked (views mask them); absent = off. */
  encryption?: EncryptionOptions | undefined
  /** The third-party platforms (components) served, secrets resolved (views mask them). Empty: none. */
  openPlatform: ServiceComponent[]
  /** WeCom apps, suites and provider, secrets resolved (views mask them); absent = none. */
  wecom?: ResolvedWecomConfig | undefined
}

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 8787
/** After SIGTERM, how long the service keeps serving with `/readyz` at 503 (a balancer's time to notice). */
export const DEFAULT_DRAIN_MS = 5_000
/** The shutdown grace beyond the drain: answers in flight finish, the tiers close. */
export const DEFAULT_GRACE_AFTER_DRAIN_MS = 10_000
export const DEFAULT_STORES = ['memory', 'sqlite:./open-bridge.db'] as const
/** Every minute at second 0. A run on a live credential is one cache read. */
export const DEFAULT_CRON = '0 * * * * *'
export const DEFAULT_JITTER_MS = 5_000
