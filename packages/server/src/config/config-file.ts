import { wecomConfigSchema, type WecomConfigFile } from '../wecom/wecom-config.js'
import { PLATFORMS, type Platform } from '@open-bridge/core'
import { SCHEDULE_TASKS, type ScheduleTask } from '../scheduler/tasks.js'

/** A secret given in the file, or the name of the environment variable that holds it (kept out of the file). */
export type SecretRef = string | { env: string }

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** What `open-bridge.config.json` (or the default export of `.mjs` / `.js`) holds. Every field is optional. */
export interface ConfigFile {
  /** Tiers by URL, nearest first: `memory`, `memory?maxTtl=60000`, `redis://…`, `rediss://…`, `sqlite:./file.db`, `mongodb://…/db`. */
  stores?: Array<string | { env: string }>
  /**
   * A uniCloud project's `uni-config-center` directory to read as well (relative to the working directory), or
   * `false` to turn off finding one (`@open-bridge/uni-open-bridge-common` looks for it in the uniCloud layout).
   * `--uni-config-center` / `OPEN_BRIDGE_UNI_CONFIG_CENTER` win over it.
   */
  uniConfigCenter?: string | false
  apps?: ConfigFileApp[]
  schedule?: {
    /** Off switch for every scheduled refresh. Default `true`. */
    enable?: boolean
    /** When each task runs (croner syntax, 5 or 6 fields; 6 = with seconds). Default every minute. */
    cron?: string
    /** Each run waits a random 0…jitterMs first, so replicas do not all ask at once. Default 5000. */
    jitterMs?: number
    /** IANA time zone of `cron`. Default the process's. */
    timezone?: string
  }
  server?: {
    host?: string
    port?: number
    bodyLimit?: number
    /** Longest time to receive a whole request (headers and body), ms. Default 10 000. */
    requestTimeoutMs?: number
    /** Longest time to receive a request's headers, ms. Default 5 000. */
    headersTimeoutMs?: number
    /** How long a kept-alive connection may idle between requests, ms. Default 5 000. */
    keepAliveTimeoutMs?: number
    /** Most open connections at once. Default 512. */
    maxConnections?: number
    /** After SIGTERM: how long the service keeps serving (with `/readyz` at 503) before it stops accepting, ms. Default 5 000. */
    drainMs?: number
    /** After SIGTERM: the longest the whole shutdown may take (drain included) before the process exits 1, ms. Default drainMs + 10 000. */
    shutdownGraceMs?: number
    /** Host names (no port) the `Host` header may name; `["*"]` for any. Default on loopback without auth: 127.0.0.1, localhost, [::1]. */
    allowedHosts?: string[]
    auth?: {
      ipAllowList?: string[]
      trustProxy?: boolean | string | string[] | number
      signingSecret?: SecretRef
      /** The names v2 signatures must be for; default the request's Host. */
      audience?: string | string[]
      /** Accept signing rule v1 (binds no target). Default false. */
      acceptV1Signatures?: boolean
      /** A bearer token for `GET /metrics` (scrapers cannot sign). Default: the signing secret is accepted as one. */
      metricsToken?: SecretRef
    }
  }
  log?: { level?: LogLevel }
  /** Refresh coordination options passed to `createBridge` (see @open-bridge/core). */
  refresh?: Record<string, unknown>
  /** Options of `wechatSource()` that fit in a file (see @open-bridge/wechat-fetchers). */
  wechat?: Record<string, unknown>
  /**
   * Encryption at rest of every tier but `memory` (see @open-bridge/core, "Encryption at rest"): keys newest first,
   * each 32 random bytes in base64, best kept in the environment (`{ "env": "OPEN_BRIDGE_KEY_2026_01" }`).
   */
  encryption?: { keys: Array<{ id: string; key: SecretRef }>; acceptPlain?: boolean }
  /**
   * WeChat Open Platform third-party platforms (components) this deployment runs: each gets the authorisation event
   * URL `POST /open-platform/<componentAppid>/events` and the onboarding route `GET /open-platform/<componentAppid>/authorize`.
   */
  openPlatform?: ConfigFileComponent[]
  /**
   * WeCom (企业微信): self-built apps, third-party suites (each gets its command callback URL
   * `/wecom/suites/<suiteId>/callback`) and the service provider; secrets best as `{ "env": "NAME" }`.
   */
  wecom?: WecomConfigFile
}

/** One third-party platform (component), as set on the WeChat Open Platform. */
export interface ConfigFileComponent {
  /** The component's appid (wx…). */
  componentAppid: string
  /** The component's appsecret. */
  componentSecret: SecretRef
  /** The message verification Token (消息校验Token) set on the platform. */
  token: SecretRef
  /** The message EncodingAESKey (消息加解密Key), 43 characters. */
  encodingAESKey: SecretRef
  /**
   * This service's public URL (`https://bridge.example.com`, a path prefix allowed): WeChat's authorisation page sends
   * the browser back to `<publicUrl>/open-platform/<componentAppid>/authorized`. Without it the authorize route is off.
   */
  publicUrl?: string
  /** Origins (`https://app.example.com`) the authorize route's `redirect_uri` may be on. Default: `publicUrl`'s. */
  redirectOrigins?: string[]
}

export interface ConfigFileApp {
  dcloudAppid?: string
  platform: Platform
  appid: string
  secret?: SecretRef
  /** Credentials the scheduler keeps fresh: `accessToken`, `ticket`. Default `['accessToken']` when the app has a secret. */
  tasks?: ScheduleTask[]
}

const nonEmpty = { type: 'string', minLength: 1 } as const
const envRef = {
  type: 'object',
  properties: { env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
  required: ['env'],
  additionalProperties: false,
} as const
const secretRef = {
  description: 'a non-empty string or { "env": "VARIABLE_NAME" }',
  anyOf: [nonEmpty, envRef],
} as const
const positiveMs = { type: 'number', exclusiveMinimum: 0 } as const
const nonNegativeMs = { type: 'number', minimum: 0 } as const
const kindsOrNumber = {
  description: 'a number of ms, or an object of ms per credential kind',
  anyOf: [
    nonNegativeMs,
    {
      type: 'object',
      properties: Object.fromEntries(
        ['access_token', 'user_access_token', 'session_key', 'encrypt_key', 'ticket'].map((k) => [k, nonNegativeMs]),
      ),
      additionalProperties: false,
    },
  ],
} as const

/**
 * The hand-written schema of the file. `description`s that start with "must" become the error message, so
 * every message names the field and says what it should be, never what it was (it could be a secret).
 */
export const configFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    stores: {
      type: 'array',
      minItems: 1,
      items: {
        description: 'a store URL (memory, redis://, rediss://, sqlite:, mongodb://) or { "env": "VARIABLE_NAME" }',
        anyOf: [nonEmpty, envRef],
      },
    },
    uniConfigCenter: {
      description: 'a uni-config-center directory, or false (do not look for one)',
      anyOf: [nonEmpty, { const: false }],
    },
    apps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['platform', 'appid'],
        properties: {
          dcloudAppid: nonEmpty,
          platform: { enum: [...PLATFORMS] },
          appid: { type: 'string', minLength: 1, pattern: '^[^:]+$', description: "a non-empty string without ':'" },
          secret: secretRef,
          tasks: { type: 'array', items: { enum: [...SCHEDULE_TASKS] } },
        },
      },
    },
    schedule: {
      type: 'object',
      additionalProperties: false,
      properties: { enable: { type: 'boolean' }, cron: nonEmpty, jitterMs: nonNegativeMs, timezone: nonEmpty },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: nonEmpty,
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        bodyLimit: { type: 'integer', minimum: 1 },
        requestTimeoutMs: { type: 'integer', minimum: 1 },
        headersTimeoutMs: { type: 'integer', minimum: 1 },
        keepAliveTimeoutMs: { type: 'integer', minimum: 1 },
        maxConnections: { type: 'integer', minimum: 1 },
        drainMs: { type: 'integer', minimum: 0 },
        shutdownGraceMs: { type: 'integer', minimum: 1 },
        allowedHosts: { type: 'array', minItems: 1, items: nonEmpty },
        auth: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ipAllowList: { type: 'array', items: nonEmpty },
            trustProxy: {
              description: 'a boolean, a number of hops, or the proxy addresses (a string or an array of strings)',
              anyOf: [
                { type: 'boolean' },
                { type: 'integer', minimum: 0 },
                nonEmpty,
                { type: 'array', items: nonEmpty },
              ],
            },
            signingSecret: secretRef,
            audience: {
              description: 'a name or a non-empty array of names',
              anyOf: [nonEmpty, { type: 'array', minItems: 1, items: nonEmpty }],
            },
            acceptV1Signatures: { type: 'boolean' },
            metricsToken: secretRef,
          },
        },
      },
    },
    log: { type: 'object', additionalProperties: false, properties: { level: { enum: [...LOG_LEVELS] } } },
    refresh: {
      type: 'object',
      additionalProperties: false,
      properties: {
        refreshAhead: kindsOrNumber,
        refreshAheadConcurrency: { type: 'integer', minimum: 1 },
        fetchTimeout: positiveMs,
        lock: {
          type: 'object',
          additionalProperties: false,
          properties: { ttl: positiveMs, waitTimeout: positiveMs, pollInterval: positiveMs },
        },
        failureBackoff: {
          type: 'object',
          additionalProperties: false,
          properties: { min: nonNegativeMs, max: nonNegativeMs, configuration: nonNegativeMs },
        },
        breaker: {
          description: 'false or { failures, cooldown }',
          anyOf: [
            { const: false },
            {
              type: 'object',
              additionalProperties: false,
              properties: { failures: { type: 'integer', minimum: 1 }, cooldown: positiveMs },
            },
          ],
        },
      },
    },
    encryption: {
      type: 'object',
      additionalProperties: false,
      required: ['keys'],
      properties: {
        keys: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'key'],
            properties: {
              id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: '1 to 64 of A-Z a-z 0-9 . _ -' },
              key: secretRef,
            },
          },
        },
        acceptPlain: { type: 'boolean' },
      },
    },
    openPlatform: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['componentAppid', 'componentSecret', 'token', 'encodingAESKey'],
        properties: {
          componentAppid: {
            type: 'string',
            pattern: '^wx[0-9a-zA-Z]{14,30}$',
            description: 'a WeChat appid (wx followed by letters and digits)',
          },
          componentSecret: secretRef,
          token: secretRef,
          encodingAESKey: secretRef,
          publicUrl: nonEmpty,
          redirectOrigins: { type: 'array', minItems: 1, items: nonEmpty },
        },
      },
    },
    wecom: wecomConfigSchema,
    wechat: {
      type: 'object',
      additionalProperties: false,
      properties: {
        baseUrl: {
          description: 'an http(s) URL or { "weixin": URL, "qq": URL }',
          anyOf: [
            nonEmpty,
            { type: 'object', additionalProperties: false, properties: { weixin: nonEmpty, qq: nonEmpty } },
          ],
        },
        accessTokenMode: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(
            ['weixin-mp', 'weixin-h5', 'weixin-web', 'weixin-app'].map((p) => [p, { enum: ['stable', 'classic'] }]),
          ),
        },
        retry: {
          type: 'object',
          additionalProperties: false,
          properties: {
            retries: { type: 'integer', minimum: 0 },
            minDelayMs: nonNegativeMs,
            maxDelayMs: nonNegativeMs,
          },
        },
        timeouts: {
          type: 'object',
          additionalProperties: false,
          properties: { connectMs: positiveMs, headersMs: positiveMs, bodyMs: positiveMs },
        },
        expiryMarginSeconds: nonNegativeMs,
      },
    },
  },
} as const
