import { WechatError } from '@open-bridge/wechat-fetchers'
import { describe, expect, it } from 'vitest'
import { errorReply } from '../src/http/error-reply.js'

describe('errorReply for the pushed-ticket families', () => {
  it.each([
    ['E_COMPONENT_TICKET_EXPIRED', 503],
    ['E_SUITE_TICKET_REFUSED', 503],
  ] as const)('%s is %i with its own code and message (waiting for the next push is the cure)', (code, status) => {
    const reply = errorReply(new WechatError(code, `the ${code} message`))
    expect(reply.statusCode).toBe(status)
    expect(reply.body).toEqual({ errCode: code, errMsg: `the ${code} message` })
    expect(reply.level).toBe('warn')
  })
})
