import type { FetchResult, ResolvedKey, SourceContext } from '@open-bridge/core'
import { withAccessToken } from '../with-access-token.js'
import { storedLife, type ResolvedOptions } from '../options.js'
import type { PlatformClient } from '../platform-client.js'
import { replySeconds, replyString } from '../platform-reply.js'

/** A JS-SDK ticket (`jsapi`, or `wx_card` when the key asks) of an official account (weixin-h5). */
export async function fetchTicket(
  client: PlatformClient,
  options: ResolvedOptions,
  key: ResolvedKey<'ticket'>,
  ctx: SourceContext,
): Promise<FetchResult<'ticket'> | null> {
  if (key.platform !== 'weixin-h5') return null
  const type = key.ticketType ?? 'jsapi'
  const reply = await withAccessToken(ctx.bridge, key, (token) =>
    client.call({
      host: 'weixin',
      path: '/cgi-bin/ticket/getticket',
      endpoint: `getticket (${type})`,
      query: { access_token: token, type },
      appid: key.appid,
      secrets: [token],
      signal: ctx.signal,
    }),
  )
  return {
    value: { ticket: replyString(reply, 'ticket', { endpoint: 'getticket', appid: key.appid }) },
    expiresIn: storedLife(replySeconds(reply, 'expires_in', 7200), options.expiryMarginSeconds),
  }
}
