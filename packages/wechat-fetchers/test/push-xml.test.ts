import { describe, expect, it } from 'vitest'
import { parsePushXml } from '@open-bridge/wechat-fetchers'

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('parsePushXml: what the platforms send', () => {
  it('an Open Platform ticket push (CDATA and plain text)', () => {
    const { fields, root } = parsePushXml(
      '<xml><AppId><![CDATA[wx134c8103faa5a59e]]></AppId><CreateTime>1413192605</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[ticket@@@lEHjsBEi_TPDey0IZxw4Zbb7JRYLOtEf9ksvVlfqBVmp]]></ComponentVerifyTicket></xml>',
    )
    expect({ ...fields }).toEqual({
      AppId: 'wx134c8103faa5a59e',
      CreateTime: '1413192605',
      InfoType: 'component_verify_ticket',
      ComponentVerifyTicket: 'ticket@@@lEHjsBEi_TPDey0IZxw4Zbb7JRYLOtEf9ksvVlfqBVmp',
    })
    expect(root.name).toBe('xml')
    expect(root.children.map((child) => child.name)).toEqual([
      'AppId',
      'CreateTime',
      'InfoType',
      'ComponentVerifyTicket',
    ])
  })

  it("the fast-register push's nested info, by dotted path", () => {
    const { fields } = parsePushXml(
      `<xml>
  <AppId><![CDATA[wx134c8103faa5a59e]]></AppId>
  <CreateTime>1535442403</CreateTime>
  <InfoType><![CDATA[notify_third_fasteregister]]></InfoType>
  <appid>wxabcdef1234567890</appid>
  <status>0</status>
  <auth_code>xxxxx</auth_code>
  <msg>OK</msg>
  <info>
    <name><![CDATA[Company name]]></name>
    <code><![CDATA[123]]></code>
    <legal_persona_wechat><![CDATA[wechat]]></legal_persona_wechat>
  </info>
</xml>`,
    )
    expect(fields).toMatchObject({
      InfoType: 'notify_third_fasteregister',
      appid: 'wxabcdef1234567890',
      status: '0',
      'info.name': 'Company name',
      'info.code': '123',
    })
    expect(fields.info).toBeUndefined()
  })

  it("WeCom's suite_ticket and create_auth pushes, and a list (PicList.item) read through root", () => {
    expect(
      parsePushXml(
        '<xml><SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId><InfoType> <![CDATA[suite_ticket]]> </InfoType><TimeStamp>1403610513</TimeStamp><SuiteTicket><![CDATA[asdfasfdasdfasdf]]></SuiteTicket></xml>',
      ).fields,
    ).toMatchObject({ SuiteId: 'ww4asffe99e54c0f4c', InfoType: ' suite_ticket ', SuiteTicket: 'asdfasfdasdfasdf' })
    expect(
      parsePushXml(
        '<xml><SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId><AuthCode><![CDATA[AUTHCODE]]></AuthCode><InfoType><![CDATA[create_auth]]></InfoType><TimeStamp>1403610513</TimeStamp><State><![CDATA[123]]></State></xml>',
      ).fields,
    ).toMatchObject({ AuthCode: 'AUTHCODE', InfoType: 'create_auth', State: '123' })
    const pics = parsePushXml(
      '<xml><Event><![CDATA[pic_sysphoto]]></Event><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[aaa]]></PicMd5Sum></item><item><PicMd5Sum><![CDATA[bbb]]></PicMd5Sum></item></PicList></SendPicsInfo></xml>',
    )
    expect(pics.fields).toMatchObject({ 'SendPicsInfo.Count': '2', 'SendPicsInfo.PicList.item.PicMd5Sum': 'aaa' })
    const list = pics.root.children[1]!.children[1]!.children
    expect(list.map((item) => item.children[0]!.text)).toEqual(['aaa', 'bbb'])
  })

  it('text as sent: not trimmed, entities and character references decoded, CDATA sections joined, CDATA keeps & and <', () => {
    const { fields } = parsePushXml(
      '<xml><A>  two  spaces </A><B>&lt;a&gt; &amp; &quot;q&quot; &apos;s&apos; &#20013;&#x6587;</B><C><![CDATA[x]]]]><![CDATA[>y]]></C><D><![CDATA[&amp; <b>]]></D><E/><F></F></xml>',
    )
    expect({ ...fields }).toEqual({
      A: '  two  spaces ',
      B: `<a> & "q" 's' 中文`,
      C: 'x]]>y',
      D: '&amp; <b>',
      E: '',
      F: '',
    })
  })

  it('an XML declaration, a BOM, comments, whitespace and attributes are accepted', () => {
    const { fields } = parsePushXml(
      '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<!-- pushed -->\n<xml a="1" b=\'2\'>\n  <!-- inside --><A x="y">1</A>\n</xml>\n<!-- after -->\n',
    )
    expect({ ...fields }).toEqual({ A: '1' })
  })

  it('the first of a repeated name wins in fields; names such as __proto__ are plain fields', () => {
    const { fields } = parsePushXml('<xml><A>1</A><A>2</A><__proto__>p</__proto__><constructor>c</constructor></xml>')
    expect(fields.A).toBe('1')
    expect(Object.getPrototypeOf(fields)).toBeNull()
    expect(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value).toBe('p')
    expect(fields.constructor).toBe('c')
    expect(Object.hasOwn(fields, '__proto__')).toBe(true)
    expect(Object.keys({ ...fields })).toEqual(['A', '__proto__', 'constructor'])
  })
})

describe('parsePushXml: what it refuses', () => {
  it.each([
    ['a DOCTYPE', '<!DOCTYPE xml><xml/>'],
    ['an internal entity (billion laughs)', '<!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><xml>&b;</xml>'],
    ['an external entity (XXE)', '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>'],
    ['a DOCTYPE inside', '<xml><!DOCTYPE a><A/></xml>'],
    ['an undeclared entity', '<xml><A>&e;</A></xml>'],
    ['a bare ampersand', '<xml><A>a & b</A></xml>'],
    ['a null character reference', '<xml><A>&#0;</A></xml>'],
    ['a surrogate character reference', '<xml><A>&#xD800;</A></xml>'],
    ['a processing instruction', '<xml><?php echo 1 ?></xml>'],
    ['a processing instruction before the root', '<?xml-stylesheet href="a"?><xml/>'],
    ['mismatched tags', '<xml><A></B></xml>'],
    ['an unclosed element', '<xml><A>text'],
    ['an unclosed root', '<xml><A/>'],
    ['an unclosed CDATA', '<xml><A><![CDATA[abc</A></xml>'],
    ['an unclosed comment', '<xml><!-- x </xml>'],
    ['content after the root', '<xml/><xml/>'],
    ['text after the root', '<xml/>trailing'],
    ['no root', '   '],
    ['text before the root', 'text<xml/>'],
    ['CDATA before the root', '<![CDATA[x]]><xml/>'],
    ['a closing tag first', '</xml>'],
    ['mixed text and elements', '<xml>text<A/></xml>'],
    ['a malformed name', '<xml><1A/></xml>'],
    ['an unquoted attribute', '<xml a=1/>'],
    ['an attribute without a value', '<xml a/>'],
    ['attributes without a space between', '<xml a="1"b="2"/>'],
    ['a < in an attribute', '<xml a="<"/>'],
    ['an unclosed attribute', '<xml a="1/>'],
    ['a malformed closing tag', '<xml></xml x>'],
    ['an unclosed declaration', '<?xml version="1.0"'],
  ])('%s: E_PUSH_XML', (_name, xml) => {
    expect(codeOf(() => parsePushXml(xml))).toBe('E_PUSH_XML')
  })

  it('depth is bounded (the root counts as 1), self-closing elements too', () => {
    const nested = (depth: number, leaf = '<L>x</L>') => '<a>'.repeat(depth - 1) + leaf + '</a>'.repeat(depth - 1)
    expect(parsePushXml(nested(4), { maxDepth: 4 }).fields['a.a.L']).toBe('x')
    expect(codeOf(() => parsePushXml(nested(5), { maxDepth: 4 }))).toBe('E_PUSH_XML')
    expect(codeOf(() => parsePushXml(nested(5, '<L/>'), { maxDepth: 4 }))).toBe('E_PUSH_XML')
    // The default (16) takes WeCom's deepest pushes and refuses a 100,000-deep document without a stack overflow.
    expect(codeOf(() => parsePushXml(nested(100_000), { maxBytes: 2_000_000 }))).toBe('E_PUSH_XML')
  })

  it('size is bounded in UTF-8 bytes: E_PUSH_TOO_LARGE', () => {
    expect(codeOf(() => parsePushXml(`<xml>${'x'.repeat(300_000)}</xml>`))).toBe('E_PUSH_TOO_LARGE')
    expect(codeOf(() => parsePushXml(`<xml>${'中'.repeat(40)}</xml>`, { maxBytes: 100 }))).toBe('E_PUSH_TOO_LARGE')
    expect(parsePushXml(`<xml>${'x'.repeat(89)}</xml>`, { maxBytes: 100 }).root.text).toHaveLength(89)
  })

  it('bad arguments are E_INVALID_ARGUMENT', () => {
    expect(codeOf(() => parsePushXml(undefined as unknown as string))).toBe('E_INVALID_ARGUMENT')
    expect(codeOf(() => parsePushXml('<xml/>', { maxDepth: 0 }))).toBe('E_INVALID_ARGUMENT')
    expect(codeOf(() => parsePushXml('<xml/>', { maxBytes: 1.5 }))).toBe('E_INVALID_ARGUMENT')
    expect(codeOf(() => parsePushXml('<xml/>', null as unknown as undefined))).toBe('E_INVALID_ARGUMENT')
  })

  it('no error quotes the text; a long element name is cut', () => {
    const secret = 'SECRET-TICKET-VALUE'
    const long = `N${'x'.repeat(500)}`
    for (const xml of [
      `<xml><A>${secret} & more</A></xml>`,
      `<xml><A>${secret}</B></xml>`,
      `<!DOCTYPE x [<!ENTITY e "${secret}">]><xml/>`,
      `<xml><${long}>${secret}</xml>`,
    ]) {
      try {
        parsePushXml(xml)
        expect.unreachable()
      } catch (error) {
        const shown = `${(error as Error).message} ${JSON.stringify(error)} ${(error as Error).stack}`
        expect(shown).not.toContain(secret)
        expect(shown).not.toContain(long)
      }
    }
  })

  it('reads a 256 KiB push in linear time (no backtracking)', () => {
    const many = `<xml>${'<A><![CDATA[value]]></A>'.repeat(10_000)}</xml>`
    expect(parsePushXml(many).root.children).toHaveLength(10_000)
  })
})
