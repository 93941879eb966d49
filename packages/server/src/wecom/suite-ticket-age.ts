import type { CredentialBridge } from '@open-bridge/core'
import { SUITE_TICKET_LIFE_SECONDS, wecomSuiteTicket } from '@open-bridge/wechat-fetchers'

/**
 * Seconds since the suite's newest held suite_ticket was pushed (its `created_at`, else what its 30-minute life
 * says), or `null` when none is held (never pushed, or dead: a ticket is kept only while it lives). A tier read,
 * never a platform call, never the ticket itself.
 */
export async function suiteTicketAge(
  bridge: CredentialBridge,
  suiteId: string,
  now: () => number = Date.now,
): Promise<number | null> {
  let record: { value: object; expiresAt: number | null } | null
  try {
    record = await bridge.getRecord(wecomSuiteTicket.name as never, { suiteId } as never)
  } catch (error) {
    if ((error as { code?: unknown }).code === 'E_PUSHED_MISSING') return null
    throw error
  }
  if (record === null) return null
  const createdAt = Number((record.value as { created_at?: unknown }).created_at)
  const age = Number.isSafeInteger(createdAt)
    ? now() / 1000 - createdAt
    : record.expiresAt === null
      ? 0
      : SUITE_TICKET_LIFE_SECONDS - (record.expiresAt - now()) / 1000
  return Math.max(0, Math.round(age))
}
