import type { CredentialBridge } from '@open-bridge/core'
import { invalidArgument, WechatError } from '../errors.js'
import { inputs, sha1, type JsapiSignatureInput } from '../helpers/jsapi-signature.js'
import { wecomAgentTicket, wecomJsapiTicket, type CorpAppKey } from './wecom-kinds.js'

/** What `wx.config` (corp identity) needs: the corp id as `appId`, and the signature over the corp ticket. */
export interface WecomJsapiSignature {
  appId: string
  timestamp: number
  nonceStr: string
  signature: string
}

/** What `wx.agentConfig` (app identity) needs: corp id, agent id, and the signature over the agent ticket. */
export interface AgentConfigSignature {
  corpid: string
  agentid: string
  timestamp: number
  nonceStr: string
  signature: string
}

/**
 * The `wx.config` signature of a WeCom page: sha1("jsapi_ticket=T&noncestr=N&timestamp=S&url=U") over the corp's
 * jsapi ticket, the URL's `#…` part dropped. The ticket is read through the bridge (fetched once per rotation for
 * the deployment): signing itself never calls WeCom, whatever the page rate.
 */
export async function wecomJsapiSignature(
  bridge: CredentialBridge,
  key: CorpAppKey,
  input: JsapiSignatureInput,
): Promise<WecomJsapiSignature> {
  const url = pageUrl(input)
  const { timestamp, nonceStr } = inputs(input)
  const ticket = await ticketOf(bridge.credential(wecomJsapiTicket).get(key), 'jsapi', key)
  return { appId: key.corpId, timestamp, nonceStr, signature: sign(ticket, nonceStr, timestamp, url) }
}

/** The `wx.agentConfig` signature: the same algorithm over the app's agent_config ticket. */
export async function agentConfigSignature(
  bridge: CredentialBridge,
  key: CorpAppKey,
  input: JsapiSignatureInput,
): Promise<AgentConfigSignature> {
  const url = pageUrl(input)
  const { timestamp, nonceStr } = inputs(input)
  const ticket = await ticketOf(bridge.credential(wecomAgentTicket).get(key), 'agent_config', key)
  return {
    corpid: key.corpId,
    agentid: key.agentId,
    timestamp,
    nonceStr,
    signature: sign(ticket, nonceStr, timestamp, url),
  }
}

function pageUrl(input: JsapiSignatureInput): string {
  if (typeof input?.url !== 'string' || !/^https?:\/\//.test(input.url))
    throw invalidArgument('url', 'must be the full http(s) URL of the page')
  return input.url.replace(/#[\s\S]*$/, '')
}

function sign(ticket: string, nonceStr: string, timestamp: number, url: string): string {
  return sha1(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`)
}

async function ticketOf(read: Promise<{ ticket: string } | null>, type: string, key: CorpAppKey): Promise<string> {
  const value = await read
  if (value === null) {
    throw new WechatError(
      'E_TICKET_MISSING',
      `no ${type} ticket could be had for corp ${key.corpId} app ${key.agentId}`,
      { appid: key.corpId },
    )
  }
  return value.ticket
}
