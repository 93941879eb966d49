import { describe, expect, it } from 'vitest'
import { redactSecrets } from '../src/index.js'

describe('redactSecrets', () => {
  it('masks every sensitive query value and nothing else', () => {
    const url =
      'https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=S3CR3T&js_code=CODE&grant_type=authorization_code&access_token=TOK&refresh_token=R&code=C&signature=SIG'
    expect(redactSecrets(url)).toBe(
      'https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=***&js_code=***&grant_type=authorization_code&access_token=***&refresh_token=***&code=***&signature=***',
    )
  })

  it('masks the query names of connection strings and signed links, in any case, and keeps look-alikes', () => {
    expect(redactSecrets('x?password=p1&PASSWD=p2&sig=s&ticket=t&jsapi_ticket=j&component_access_token=c')).toBe(
      'x?password=***&PASSWD=***&sig=***&ticket=***&jsapi_ticket=***&component_access_token=***',
    )
    // A name is a whole word: `errcode=` and `my_secret=` are not `code=` / `secret=`.
    expect(redactSecrets('errcode=40013&my_secret=keep&secretary=keep')).toBe(
      'errcode=40013&my_secret=keep&secretary=keep',
    )
  })

  it('masks query values inside free text; a value ends at whitespace, a quote, `&` or `#`', () => {
    expect(redactSecrets('request to http://h/cgi-bin/token?secret=abc failed')).toBe(
      'request to http://h/cgi-bin/token?secret=*** failed',
    )
    expect(redactSecrets('{"url":"/t?access_token=T0K#frag","n":1}')).toBe('{"url":"/t?access_token=***#frag","n":1}')
    expect(redactSecrets("code=abc' and 'secret=x")).toBe("code=***' and 'secret=***")
  })

  it('masks the userinfo of any URL, with or without a scheme or a password', () => {
    expect(redactSecrets('mongodb+srv://a:b@c/d and http://x@y')).toBe('mongodb+srv://***@c/d and http://***@y')
    expect(redactSecrets('boom at mongodb://admin:s3cr3t-pw@db:27017/x')).toBe('boom at mongodb://***@db:27017/x')
    expect(redactSecrets('proxy //u:p@host:8080 down')).toBe('proxy //***@host:8080 down')
    expect(redactSecrets('redis://127.0.0.1:6379/0 and a@b.c')).toBe('redis://127.0.0.1:6379/0 and a@b.c')
  })

  it('masks given literals anywhere, longest first, of any length; skips undefined and empty ones', () => {
    expect(redactSecrets('echo: my-literal-secret-value', { literals: ['my-literal-secret-value'] })).toBe('echo: ***')
    expect(redactSecrets('v=TOK-123 TOK-123-LONGER', { literals: ['TOK-123', undefined, '', 'TOK-123-LONGER'] })).toBe(
      'v=*** ***',
    )
    expect(redactSecrets('nothing to mask', { literals: [undefined, ''] })).toBe('nothing to mask')
  })
})
