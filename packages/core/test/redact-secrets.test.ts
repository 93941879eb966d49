import { describe, expect, it } from 'vitest'
import { redactSecrets, redactUrl } from '../src/index.js'

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

describe('redactUrl (store labels, config views, log lines)', () => {
  it('masks the password of the userinfo and keeps the user; a lone userinfo (a token) is masked whole', () => {
    expect(redactUrl('redis://app:hunter22@db:6379/0')).toBe('redis://app:***@db:6379/0')
    expect(redactUrl('redis://:hunter22@db:6379')).toBe('redis://:***@db:6379')
    expect(redactUrl('https://ghp_token123@host/x')).toBe('https://***@host/x')
    // A password holding `@` or `:` is masked whole (the authority ends at its last `@`).
    expect(redactUrl('redis://u:p@ss:w@rd@db:1/0')).toBe('redis://u:***@db:1/0')
    expect(redactSecrets('redis://u:p@ss@db:1/0')).toBe('redis://***@db:1/0')
  })

  it('masks sensitive query members in any case, and keeps the others', () => {
    expect(
      redactUrl('redis://db:6379/0?db=1&password=p1&Pass=p2&PWD=p3&auth=p4&Token=p5&secret=p6&apiKey=p7&tls=true'),
    ).toBe('redis://db:6379/0?db=1&password=***&Pass=***&PWD=***&auth=***&Token=***&secret=***&apiKey=***&tls=true')
    expect(redactUrl('mongodb://h1,h2/db?authSource=admin&authMechanismProperties=AWS_SESSION_TOKEN:x')).toBe(
      'mongodb://h1,h2/db?authSource=admin&authMechanismProperties=***',
    )
  })

  it("masks a push's verification values: msg_signature, signature, echostr", () => {
    expect(redactUrl('/wechat/push?signature=s1&timestamp=1&nonce=2&msg_signature=s2&echostr=e1&openid=o')).toBe(
      '/wechat/push?signature=***&timestamp=1&nonce=2&msg_signature=***&echostr=***&openid=o',
    )
    expect(redactSecrets('GET /push?msg_signature=abc&echostr=xyz')).toBe('GET /push?msg_signature=***&echostr=***')
  })

  it('masks the fragment whole, and every literal', () => {
    expect(redactUrl('redis://db:1/0#s3cr3t')).toBe('redis://db:1/0#***')
    expect(redactUrl('redis://db:1/0?password=a#b')).toBe('redis://db:1/0?password=***#***')
    expect(redactUrl('redis://db:1/0#')).toBe('redis://db:1/0#')
    expect(redactUrl('sqlite:./x-LIT.db', { literals: ['LIT'] })).toBe('sqlite:./x-***.db')
  })

  it('leaves a URL with nothing to mask as it is, and never throws on text that is not a URL', () => {
    for (const url of ['memory', 'memory?max=10&maxTtl=5', 'sqlite:./open-bridge.db', 'redis://127.0.0.1:6379/0'])
      expect(redactUrl(url)).toBe(url)
    expect(redactUrl('not a url ?password=x')).toBe('not a url ?password=***')
    expect(redactUrl('')).toBe('')
  })
})
