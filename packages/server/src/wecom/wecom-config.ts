import type { WecomSourceOptions } from '@open-bridge/wechat-fetchers'
import type { SecretRef } from '../config/config-file.js'
import { resolveSecret } from '../config/secret-ref.js'
import { maskInViews } from '../config/secret-view.js'

/** `wecom` in the config file: self-built apps, third-party suites (with their command callback) and the provider. */
export interface WecomConfigFile {
  /** Self-built apps: one entry per corp app, its secret best given as `{ "env": "NAME" }`. */
  apps?: Array<{ corpId: string; agentId: string | number; secret: SecretRef }>
  /** Third-party suites: their secret, and the Token / EncodingAESKey of their command callback URL. */
  suites?: Array<{ suiteId: string; suiteSecret: SecretRef; token: SecretRef; encodingAESKey: SecretRef }>
  provider?: { corpId: string; providerSecret: SecretRef }
  /** Replaces `https://qyapi.weixin.qq.com` (an egress proxy, the fake WeCom in tests). */
  baseUrl?: string
  /** Most corp apps the scheduler's WeCom sweep works on (so platform calls) at once. Default 16. */
  sweepConcurrency?: number
}

/** A suite's command callback, resolved: what the route needs. */
export interface WecomSuiteRoute {
  suiteId: string
  token: string
  encodingAESKey: string
}

/** The `wecom` config, secrets read: the source's options and the suites' callback routes. */
export interface ResolvedWecomConfig {
  source: WecomSourceOptions
  suites: WecomSuiteRoute[]
  /** `wecom.sweepConcurrency`, when set. */
  sweepConcurrency?: number
}

const id = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$', description: '1 to 128 of A-Z a-z 0-9 _ . -' } as const
const nonEmpty = { type: 'string', minLength: 1 } as const
const secretRef = {
  description: 'a non-empty string or { "env": "VARIABLE_NAME" }',
  anyOf: [
    nonEmpty,
    {
      type: 'object',
      properties: { env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
      required: ['env'],
      additionalProperties: false,
    },
  ],
} as const

/** The JSON schema of `wecom` (the config file's schema names it under `properties.wecom`). */
export const wecomConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['corpId', 'agentId', 'secret'],
        properties: {
          corpId: id,
          agentId: {
            description: 'an agent id (a number or 1 to 128 of A-Z a-z 0-9 _ . -)',
            anyOf: [id, { type: 'integer', minimum: 0 }],
          },
          secret: secretRef,
        },
      },
    },
    suites: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['suiteId', 'suiteSecret', 'token', 'encodingAESKey'],
        properties: { suiteId: id, suiteSecret: secretRef, token: secretRef, encodingAESKey: secretRef },
      },
    },
    provider: {
      type: 'object',
      additionalProperties: false,
      required: ['corpId', 'providerSecret'],
      properties: { corpId: id, providerSecret: secretRef },
    },
    baseUrl: nonEmpty,
    sweepConcurrency: { type: 'integer', minimum: 1, maximum: 64, description: 'an integer from 1 to 64' },
  },
} as const

/**
 * Reads the secrets of a checked `wecom` config (`{ env }` from the environment: an unset variable is
 * `E_INVALID_CONFIG` naming the field, `wecom.suites[0].token`) and groups the apps by corp for `wecomSource`.
 */
export function resolveWecomConfig(config: WecomConfigFile, env: NodeJS.ProcessEnv): ResolvedWecomConfig {
  const corps = new Map<string, Array<{ agentId: string | number; secret: string }>>()
  ;(config.apps ?? []).forEach((app, i) => {
    const agents = corps.get(app.corpId) ?? []
    agents.push(
      maskInViews({ agentId: app.agentId, secret: resolveSecret(app.secret, `wecom.apps[${i}].secret`, env) }, [
        'secret',
      ]),
    )
    corps.set(app.corpId, agents)
  })
  const suites = (config.suites ?? []).map((suite, i) =>
    maskInViews(
      {
        suiteId: suite.suiteId,
        suiteSecret: resolveSecret(suite.suiteSecret, `wecom.suites[${i}].suiteSecret`, env),
        token: resolveSecret(suite.token, `wecom.suites[${i}].token`, env),
        encodingAESKey: resolveSecret(suite.encodingAESKey, `wecom.suites[${i}].encodingAESKey`, env),
      },
      ['suiteSecret', 'token', 'encodingAESKey'],
    ),
  )
  const provider =
    config.provider === undefined
      ? undefined
      : maskInViews(
          {
            corpId: config.provider.corpId,
            providerSecret: resolveSecret(config.provider.providerSecret, 'wecom.provider.providerSecret', env),
          },
          ['providerSecret'],
        )
  return {
    source: {
      corps: [...corps].map(([corpId, agents]) => ({ corpId, agents })),
      suites: suites.map(({ suiteId, suiteSecret }) => maskInViews({ suiteId, suiteSecret }, ['suiteSecret'])),
      ...(provider !== undefined ? { provider } : {}),
      ...(config.baseUrl !== undefined ? { baseUrl: config.baseUrl } : {}),
    },
    suites: suites.map(({ suiteId, token, encodingAESKey }) =>
      maskInViews({ suiteId, token, encodingAESKey }, ['token', 'encodingAESKey']),
    ),
    ...(config.sweepConcurrency !== undefined ? { sweepConcurrency: config.sweepConcurrency } : {}),
  }
}
