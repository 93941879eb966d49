import { createHash } from 'node:crypto'
import { isPlainObject, type CredentialBridge } from '@open-bridge/core'
import { invalidArgument } from '../errors.js'
import type { PermanentCodeGrant } from './wecom-client.js'
import {
  wecomAgentTicket,
  wecomAuthorization,
  wecomCorpToken,
  wecomJsapiTicket,
  wecomPermanentCode,
  type PermanentCodeValue,
} from './wecom-kinds.js'
import { wecomClientOf, type WecomSuiteRuntime } from './wecom-source.js'
import { withSuiteToken } from './with-corp-token.js'

/**
 * A corp's authorisation of a suite as this module stores it: the permanent code with the agent ids
 * (`wecomPermanentCode`), and one `wecomAuthorization` per agent (how its token is fetched). Written from a
 * `get_permanent_code` grant, brought up to date from `get_auth_info`, removed on `cancel_auth`. The permanent code
 * only ever goes into a credential value and a request body: never into a key, a message or an event.
 */

/** How an authorisation's agents changed. Agent ids are not secret. */
export interface SuiteAgentsChange {
  /** The agents the corp gives the suite's apps now. */
  agentIds: string[]
  /** Agents that were not authorised before (now readable). */
  added: string[]
  /** Agents no longer authorised: their authorisation and cached token and tickets are gone. */
  removed: string[]
}

/** How many exchanged auth codes each bridge remembers (by digest) in this process. */
const EXCHANGED_KEPT = 1000

/**
 * Per bridge: the sha256 of each auth code this process exchanged (suite id included) → the corp id. A push retried
 * after its exchange succeeded but a later step failed (v2's `get_auth_info`) re-reads the agents instead of
 * spending the single-use code again (WeCom would answer 40078). In memory only: the code itself is kept nowhere.
 */
const EXCHANGED = new WeakMap<object, Map<string, string>>()

function exchangedOf(bridge: CredentialBridge): Map<string, string> {
  let memo = EXCHANGED.get(bridge)
  if (memo === undefined) {
    memo = new Map()
    EXCHANGED.set(bridge, memo)
  }
  return memo
}

/** The `wecomSource()` of a suite helper: `source`, or the bridge's own. */
export function suiteRuntimeOf(bridge: CredentialBridge, source: unknown): WecomSuiteRuntime {
  const runtime = wecomClientOf(source ?? bridge.source)
  if (runtime === undefined) {
    throw invalidArgument(
      'source',
      'must be the wecomSource() configured with this suite (the bridge’s source is not one)',
    )
  }
  return runtime
}

/**
 * Exchanges an auth code (`create_auth` / `reset_permanent_code`) with the suite's `get_permanent_code` (v1 or v2,
 * as configured) and stores the permanent code at once. v1's reply names the agents and carries a corp token (both
 * stored); v2's names neither, so the agents are read with `get_auth_info` right after the code is stored (the code
 * can never be asked for again: it is stored first) and the corp token is left to `get_corp_token` on first read.
 */
export async function exchangeAuthCode(
  bridge: CredentialBridge,
  runtime: WecomSuiteRuntime,
  suiteId: string,
  authCode: string,
): Promise<{ corpId: string; change: SuiteAgentsChange }> {
  const memo = exchangedOf(bridge)
  const digest = createHash('sha256').update(`${suiteId}\n${authCode}`).digest('hex')
  const done = memo.get(digest)
  if (done !== undefined) return { corpId: done, change: await syncAgents(bridge, runtime, suiteId, done) }
  const api = runtime.permanentCodeApi(suiteId)
  const grant: PermanentCodeGrant = await withSuiteToken(bridge, { suiteId }, (token) =>
    runtime.api.permanentCode(suiteId, token, authCode, undefined, api),
  )
  const { corpId } = grant
  const previous = agentsOf(await heldCode(bridge, suiteId, corpId))
  const remember = () => {
    memo.set(digest, corpId)
    if (memo.size > EXCHANGED_KEPT) memo.delete(memo.keys().next().value!)
  }
  if (grant.agentIds === undefined) {
    // v2: the code first (with the agents known so far), then the agents as WeCom has them now.
    await writeAgents(bridge, suiteId, corpId, grant.permanentCode, previous, previous)
    remember()
    return { corpId, change: await syncAgents(bridge, runtime, suiteId, corpId) }
  }
  const change = await writeAgents(bridge, suiteId, corpId, grant.permanentCode, previous, grant.agentIds)
  remember()
  if (grant.corpToken !== undefined) {
    const { value, expiresIn } = grant.corpToken
    for (const agentId of grant.agentIds) {
      // v1's corp token is kept (the corp's token: one for each of its agents of the suite).
      await bridge
        .credential(wecomCorpToken)
        .set({ corpId, agentId }, { access_token: value }, Math.max(1, expiresIn - 60))
    }
  }
  return { corpId, change }
}

/**
 * Re-reads the corp's authorisation (`get_auth_info` with the stored permanent code, the suite token
 * compare-and-refreshed once if WeCom rejects it) and brings the stored agents up to date: added agents get their
 * `wecomAuthorization`, removed ones lose it and their cached token and tickets, every agent's cached token and
 * tickets are dropped (their permissions may have changed), the code's `agent_ids` rewritten. No change (and no
 * platform call) when no permanent code is held for the corp.
 */
export async function syncAgents(
  bridge: CredentialBridge,
  runtime: WecomSuiteRuntime,
  suiteId: string,
  corpId: string,
): Promise<SuiteAgentsChange> {
  const held = await heldCode(bridge, suiteId, corpId)
  if (held === null) return { agentIds: [], added: [], removed: [] }
  const info = await withSuiteToken(bridge, { suiteId }, (token) =>
    runtime.api.authInfo(token, corpId, held.permanent_code, undefined),
  )
  // A reset_permanent_code applied meanwhile stored a newer code: keep that one, with the agents just read.
  const current = (await heldCode(bridge, suiteId, corpId)) ?? held
  return writeAgents(bridge, suiteId, corpId, current.permanent_code, agentsOf(held), info.agentIds)
}

/** Removes every credential of the corp for the suite (`cancel_auth`). */
export async function removeAuthorization(bridge: CredentialBridge, suiteId: string, corpId: string): Promise<void> {
  const held = await heldCode(bridge, suiteId, corpId)
  await Promise.all(agentsOf(held).map((agentId) => forgetApp(bridge, corpId, agentId, true)))
  await bridge.credential(wecomPermanentCode).remove({ suiteId, corpId })
}

/**
 * Re-reads a corp's authorisation of a suite with `get_auth_info` and brings the stored agents up to date, as a
 * `change_auth` push does: for a deployment that missed one, or after a v2 `create_auth` whose `get_auth_info`
 * failed (the permanent code is stored; its agents are not yet). Rejects `E_PUSHED_MISSING` when the bridge holds
 * no permanent code for the corp.
 */
export async function refreshSuiteAuthorization(
  bridge: CredentialBridge,
  input: { suiteId: string; corpId: string; source?: unknown },
): Promise<SuiteAgentsChange> {
  if (!isPlainObject(input)) throw invalidArgument('input', 'must be { suiteId, corpId }')
  if (typeof input.suiteId !== 'string' || input.suiteId === '')
    throw invalidArgument('suiteId', 'must be the suite id')
  if (typeof input.corpId !== 'string' || input.corpId === '') throw invalidArgument('corpId', 'must be the corp id')
  const runtime = suiteRuntimeOf(bridge, input.source)
  // Read (not peeked) so that a missing code rejects E_PUSHED_MISSING naming its key, as every pushed kind does.
  await bridge.credential(wecomPermanentCode).get({ suiteId: input.suiteId, corpId: input.corpId })
  return syncAgents(bridge, runtime, input.suiteId, input.corpId)
}

async function heldCode(bridge: CredentialBridge, suiteId: string, corpId: string): Promise<PermanentCodeValue | null> {
  return bridge
    .credential(wecomPermanentCode)
    .get({ suiteId, corpId })
    .catch(() => null)
}

/** Stores the code with `after` as its agents and ties each to the suite; `before`'s others are forgotten. */
async function writeAgents(
  bridge: CredentialBridge,
  suiteId: string,
  corpId: string,
  permanentCode: string,
  before: readonly string[],
  after: readonly string[],
): Promise<SuiteAgentsChange> {
  await bridge
    .credential(wecomPermanentCode)
    .set({ suiteId, corpId }, { permanent_code: permanentCode, agent_ids: after.join(',') }, -1)
  const removed = before.filter((agentId) => !after.includes(agentId))
  const added = after.filter((agentId) => !before.includes(agentId))
  await Promise.all(removed.map((agentId) => forgetApp(bridge, corpId, agentId, true)))
  for (const agentId of after) {
    await bridge.credential(wecomAuthorization).set({ corpId, agentId }, { suite_id: suiteId }, -1)
    await forgetApp(bridge, corpId, agentId, false)
  }
  return { agentIds: [...after], added, removed }
}

/** The corp app's cached token and tickets removed; with `authorization`, the app's tie to the suite too. */
export async function forgetApp(
  bridge: CredentialBridge,
  corpId: string,
  agentId: string,
  authorization: boolean,
): Promise<void> {
  const key = { corpId, agentId }
  await Promise.all([
    bridge.credential(wecomCorpToken).remove(key),
    bridge.credential(wecomJsapiTicket).remove(key),
    bridge.credential(wecomAgentTicket).remove(key),
    authorization ? bridge.credential(wecomAuthorization).remove(key) : undefined,
  ])
}

function agentsOf(value: { agent_ids?: string } | null): string[] {
  return value?.agent_ids ? value.agent_ids.split(',').filter((agentId) => agentId.length > 0) : []
}
