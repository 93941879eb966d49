import type { CredentialBridge, Platform } from '@open-bridge/core'

/** The task names uni-open-bridge's `schedule` config uses, and the credential each keeps fresh. */
export const SCHEDULE_TASKS = ['accessToken', 'ticket'] as const
export type ScheduleTask = (typeof SCHEDULE_TASKS)[number]

export function isScheduleTask(value: unknown): value is ScheduleTask {
  return typeof value === 'string' && (SCHEDULE_TASKS as readonly string[]).includes(value)
}

/** Platforms whose credential of that task the WeChat / QQ source can fetch (uni-open-bridge schedules mp and h5). */
export const TASK_PLATFORMS: Record<ScheduleTask, readonly Platform[]> = {
  accessToken: ['weixin-mp', 'weixin-h5', 'weixin-web', 'weixin-app', 'qq-mp'],
  ticket: ['weixin-h5'],
}

/** One scheduled job: an app (by its platform appid) and what to keep fresh for it. */
export interface ScheduledJob {
  platform: Platform
  appid: string
  dcloudAppid?: string | undefined
  task: ScheduleTask
}

/**
 * A run reads through the bridge, like any caller: a live credential is a cheap hit, a missing or due one is
 * fetched once for the whole deployment (single-flight, the refresh lock, refresh-ahead where core has it).
 * Resolves whether a credential is now held.
 */
export async function runTask(bridge: CredentialBridge, job: ScheduledJob): Promise<boolean> {
  const key = { appid: job.appid, platform: job.platform }
  const value = job.task === 'accessToken' ? await bridge.getAccessToken(key) : await bridge.getTicket(key)
  return value !== null
}
