import { describeValue } from './describe-value.js'
import { WechatError, invalidArgument } from '../errors.js'

/** One element of a push: its name, its text (CDATA and plain text joined) and its child elements. */
export interface PushXmlElement {
  readonly name: string
  /** The element's text, exactly as sent (not trimmed); `''` for an element with child elements. */
  readonly text: string
  readonly children: readonly PushXmlElement[]
}

/** A parsed push (or decrypted message). */
export interface PushXml {
  /** The root element (`<xml>`). */
  readonly root: PushXmlElement
  /**
   * Every text element under the root by name (`InfoType`, `ComponentVerifyTicket`, `SuiteTicket`, …), nested ones by
   * dotted path (`info.name`, `BatchJob.JobId`); the first one when a name repeats (read `root` for lists such as
   * `PicList.item`). An object without a prototype: a field named `__proto__` or `constructor` is just a field.
   */
  readonly fields: Readonly<Record<string, string>>
}

export interface PushXmlOptions {
  /** The largest text accepted, in UTF-8 bytes. Default 262144 (256 KiB). */
  maxBytes?: number
  /** The deepest nesting accepted, the root counting as 1. Default 16. */
  maxDepth?: number
}

export const DEFAULT_PUSH_MAX_BYTES = 256 * 1024
const DEFAULT_MAX_DEPTH = 16
const NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y
const SPACE = /[ \t\r\n]*/y
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

interface OpenElement {
  name: string
  text: string
  children: PushXmlElement[]
}

/**
 * Reads the XML WeChat and WeCom push (`<xml><ToUserName><![CDATA[…]]></ToUserName><Encrypt>…</Encrypt></xml>`, the
 * decrypted messages, nested elements as WeCom sends them). A reader for that and nothing more: no DOCTYPE, no
 * entity but the five predefined ones and character references, no processing instruction but the XML declaration;
 * attributes are skipped; size and depth are bounded. Anything else is `E_PUSH_XML` (`E_PUSH_TOO_LARGE` over
 * `maxBytes`), and no error quotes the text.
 */
export function parsePushXml(xml: string, options: PushXmlOptions = {}): PushXml {
  if (typeof xml !== 'string') throw invalidArgument('xml', `must be a string, not ${describeValue(xml)}`)
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', `must be an object, not ${describeValue(options)}`)
  const maxBytes = limit(options.maxBytes, 'maxBytes', DEFAULT_PUSH_MAX_BYTES)
  const maxDepth = limit(options.maxDepth, 'maxDepth', DEFAULT_MAX_DEPTH)
  if (xml.length > maxBytes || Buffer.byteLength(xml, 'utf8') > maxBytes)
    throw new WechatError('E_PUSH_TOO_LARGE', `the XML is larger than ${maxBytes} bytes`, { field: 'xml' })
  const root = new Reader(xml, maxDepth).document()
  const fields: Record<string, string> = Object.create(null)
  collectFields(root, '', fields)
  return { root, fields }
}

function collectFields(element: PushXmlElement, prefix: string, fields: Record<string, string>): void {
  for (const child of element.children) {
    const path = `${prefix}${child.name}`
    if (child.children.length > 0) collectFields(child, `${path}.`, fields)
    else if (!(path in fields)) fields[path] = child.text
  }
}

function limit(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw invalidArgument(`options.${field}`, 'must be a positive integer')
  return value
}

class Reader {
  #at = 0

  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  document(): PushXmlElement {
    if (this.text.startsWith('\uFEFF')) this.#at = 1
    this.#space()
    if (this.text.startsWith('<?xml', this.#at) && /[ \t\r\n?]/.test(this.text[this.#at + 5] ?? '')) {
      this.#at = this.#after('?>', 'the XML declaration')
    }
    this.#misc()
    if (this.text[this.#at] !== '<') throw fail('there is no root element')
    const root = this.#element()
    this.#misc()
    if (this.#at < this.text.length) throw fail('there is content after the root element')
    return root
  }

  /** Whitespace and comments, before or after the root; a DOCTYPE or a processing instruction is refused. */
  #misc(): void {
    for (;;) {
      this.#space()
      if (this.text.startsWith('<!--', this.#at)) this.#at = this.#after('-->', 'a comment')
      else if (this.text.startsWith('<!', this.#at) || this.text.startsWith('<?', this.#at)) throw this.#refused()
      else return
    }
  }

  /** The element starting at `<`, read without recursion: depth is bounded by `maxDepth`. */
  #element(): PushXmlElement {
    const open: OpenElement[] = []
    for (;;) {
      const current = open.at(-1)
      if (current !== undefined && this.text[this.#at] !== '<') {
        const next = this.text.indexOf('<', this.#at)
        if (next < 0) throw fail(`${tag(current.name)} is not closed`)
        current.text += decodeText(this.text.slice(this.#at, next))
        this.#at = next
        continue
      }
      if (this.text.startsWith('<![CDATA[', this.#at)) {
        if (current === undefined) throw fail('there is no root element')
        const end = this.text.indexOf(']]>', this.#at + 9)
        if (end < 0) throw fail('a CDATA section is not closed')
        current.text += this.text.slice(this.#at + 9, end)
        this.#at = end + 3
      } else if (this.text.startsWith('<!--', this.#at)) {
        this.#at = this.#after('-->', 'a comment')
      } else if (this.text.startsWith('<!', this.#at) || this.text.startsWith('<?', this.#at)) {
        throw this.#refused()
      } else if (this.text.startsWith('</', this.#at)) {
        this.#at += 2
        const name = this.#name()
        this.#space()
        if (this.text[this.#at] !== '>') throw fail(`the closing tag of ${tag(name)} is malformed`)
        this.#at++
        if (current === undefined || current.name !== name)
          throw fail(`the closing tag of ${tag(name)} closes ${current ? tag(current.name) : 'nothing'}`)
        open.pop()
        const element = finish(current)
        const parent = open.at(-1)
        if (parent === undefined) return element
        parent.children.push(element)
      } else {
        this.#at++
        const name = this.#name()
        const selfClosing = this.#attributes(name)
        if (open.length + 1 > this.maxDepth) throw fail(`the XML nests deeper than ${this.maxDepth} elements`)
        if (selfClosing) {
          const element = { name, text: '', children: [] }
          if (current === undefined) return element
          current.children.push(element)
        } else open.push({ name, text: '', children: [] })
      }
    }
  }

  /** Skips the attributes of `<name …>`; whether the tag closes itself (`/>`). */
  #attributes(name: string): boolean {
    for (;;) {
      const before = this.#at
      this.#space()
      if (this.text.startsWith('/>', this.#at)) {
        this.#at += 2
        return true
      }
      if (this.text[this.#at] === '>') {
        this.#at++
        return false
      }
      if (this.#at === before) throw fail(`the tag ${tag(name)} is malformed`)
      this.#name()
      this.#space()
      if (this.text[this.#at] !== '=') throw fail(`an attribute of ${tag(name)} has no value`)
      this.#at++
      this.#space()
      const quote = this.text[this.#at]
      if (quote !== '"' && quote !== "'") throw fail(`an attribute of ${tag(name)} is not quoted`)
      const end = this.text.indexOf(quote, this.#at + 1)
      if (end < 0 || this.text.slice(this.#at + 1, end).includes('<'))
        throw fail(`an attribute of ${tag(name)} is malformed`)
      this.#at = end + 1
    }
  }

  #name(): string {
    NAME.lastIndex = this.#at
    const match = NAME.exec(this.text)
    if (match === null) throw fail('an element name is malformed')
    this.#at = NAME.lastIndex
    return match[0]
  }

  #space(): void {
    SPACE.lastIndex = this.#at
    SPACE.exec(this.text)
    this.#at = SPACE.lastIndex
  }

  #after(end: string, what: string): number {
    const at = this.text.indexOf(end, this.#at)
    if (at < 0) throw fail(`${what} is not closed`)
    return at + end.length
  }

  #refused(): WechatError {
    const what = /^<!DOCTYPE/i.test(this.text.slice(this.#at, this.#at + 9))
      ? 'a DOCTYPE'
      : this.text.startsWith('<?', this.#at)
        ? 'a processing instruction'
        : 'a markup declaration'
    return fail(`${what} is not accepted in a push`)
  }
}

function finish(element: OpenElement): PushXmlElement {
  if (element.children.length === 0) return element
  if (element.text.trim() !== '') throw fail(`${tag(element.name)} mixes text and elements`)
  return { name: element.name, text: '', children: element.children }
}

/** Text between tags: the five predefined entities and character references; any other `&` is refused. */
function decodeText(raw: string): string {
  if (!raw.includes('&')) return raw
  return raw.replace(/&([^;&<]{0,10});|&/g, (_whole, body: string | undefined) => {
    if (body !== undefined && Object.hasOwn(ENTITIES, body)) return ENTITIES[body]!
    const code = body === undefined ? undefined : characterReference(body)
    if (code === undefined) throw fail("a text holds an entity that is not one of XML's own")
    return String.fromCodePoint(code)
  })
}

/** `#123` / `#x7B`: the code point, when it is one a text may hold. */
function characterReference(body: string): number | undefined {
  const code = /^#x[0-9a-fA-F]{1,6}$/.test(body)
    ? Number.parseInt(body.slice(2), 16)
    : /^#[0-9]{1,7}$/.test(body)
      ? Number.parseInt(body.slice(1), 10)
      : undefined
  return code === undefined || code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? undefined : code
}

/** An element name for a message: at most 40 characters (names are [A-Za-z0-9_.:-], nothing else can reach one). */
function tag(name: string): string {
  return `<${name.length > 40 ? `${name.slice(0, 40)}…` : name}>`
}

function fail(message: string): WechatError {
  return new WechatError('E_PUSH_XML', `not a push's XML: ${message}`, { field: 'xml' })
}
