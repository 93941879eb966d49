import { isPlainObject, type CredentialBridge } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'
import { exchangeAuthCode, suiteRuntimeOf, type SuiteAgentsChange } from './suite-authorization.js'
import { withSuiteToken } from './with-corp-token.js'

/** WeCom's install page for a suite (developer.work.weixin.qq.com/document/path/90597, "从服务商网站发起"). */
export const WECOM_INSTALL_PAGE = 'https://open.work.weixin.qq.com/3rdapp/install'

/** What `wecomInstallUrl` needs. */
export interface WecomInstallUrlInput {
  suiteId: string
  /** Where WeCom sends the administrator back, with `auth_code`, `expires_in` (600 s) and `state`: an http(s) URL. */
  redirectUri: string
  /** Checked by you on the way back (WeCom: a-z, A-Z, 0-9, at most 128 bytes). */
  state?: string
  /**
   * `set_session_info`'s `auth_type`: 0 a formal authorisation, 1 a test one (WeCom's default 0; the call is only
   * made when this is given).
   */
  authType?: 0 | 1
  /** The `wecomSource()` holding the suite's secret. Default: the bridge's source. */
  source?: unknown
}

const STATE = /^[A-Za-z0-9]{1,128}$/

/**
 * The page to send a corp's administrator to so that they install the suite: a fresh pre-auth code
 * (`get_pre_auth_code`, 1200 s, developer.work.weixin.qq.com/document/path/90601) read with the suite token (the
 * token compare-and-refreshed once if WeCom rejects it), `set_session_info` when `authType` is given, then
 * `https://open.work.weixin.qq.com/3rdapp/install?suite_id=…&pre_auth_code=…&redirect_uri=…&state=…`. WeCom
 * redirects back with `auth_code`: exchange it as a `create_auth` push's (WeCom pushes no `create_auth` for an
 * install started from the provider's site — document/path/90642).
 */
export async function wecomInstallUrl(bridge: CredentialBridge, input: WecomInstallUrlInput): Promise<string> {
  if (!isPlainObject(input)) throw invalidArgument('input', 'must be { suiteId, redirectUri }')
  const { suiteId, redirectUri, state, authType, source } = input
  if (typeof suiteId !== 'string' || suiteId === '') throw invalidArgument('suiteId', 'must be the suite id')
  if (typeof redirectUri !== 'string' || !/^https?:\/\/[^\s]+$/.test(redirectUri) || !URL.canParse(redirectUri))
    throw invalidArgument('redirectUri', 'must be an http(s) URL')
  if (state !== undefined && (typeof state !== 'string' || !STATE.test(state)))
    throw invalidArgument('state', 'must be 1–128 letters or digits')
  if (authType !== undefined && authType !== 0 && authType !== 1) throw invalidArgument('authType', 'must be 0 or 1')
  const runtime = suiteRuntimeOf(bridge, source)
  const preAuthCode = await withSuiteToken(bridge, { suiteId }, async (token) => {
    const code = await runtime.api.preAuthCode(suiteId, token, undefined)
    if (authType !== undefined) await runtime.api.setSessionInfo(suiteId, token, code.value, authType, undefined)
    return code.value
  })
  const url = new URL(WECOM_INSTALL_PAGE)
  url.searchParams.set('suite_id', suiteId)
  url.searchParams.set('pre_auth_code', preAuthCode)
  url.searchParams.set('redirect_uri', redirectUri)
  if (state !== undefined) url.searchParams.set('state', state)
  return url.toString()
}

/**
 * Exchanges the `auth_code` WeCom redirected back with after an install started from `wecomInstallUrl` (at once: it
 * is single use and lives 10 minutes) and stores the corp's authorisation as a `create_auth` push does. Resolves the
 * corp id and its agents.
 */
export async function exchangeWecomAuthCode(
  bridge: CredentialBridge,
  input: { suiteId: string; authCode: string; source?: unknown },
): Promise<{ corpId: string; agents: SuiteAgentsChange }> {
  if (!isPlainObject(input)) throw invalidArgument('input', 'must be { suiteId, authCode }')
  if (typeof input.suiteId !== 'string' || input.suiteId === '')
    throw invalidArgument('suiteId', 'must be the suite id')
  if (typeof input.authCode !== 'string' || input.authCode === '')
    throw invalidArgument('authCode', 'must be a non-empty string')
  const runtime = suiteRuntimeOf(bridge, input.source)
  const { corpId, change } = await exchangeAuthCode(bridge, runtime, input.suiteId, input.authCode)
  return { corpId, agents: change }
}
