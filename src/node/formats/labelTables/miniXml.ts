/**
 * A small XML reader for the label tables carried in NIfTI header extensions: elements,
 * attributes, text, CDATA, comments, processing instructions and the five named entities plus
 * numeric character references. No DTDs (a `<!DOCTYPE` is refused, so no entity expansion can be
 * smuggled in), no namespaces: a Caret `<LabelTable>` needs none, and a full XML library would be
 * a new dependency for a few hundred bytes of markup. Malformed markup throws `XmlSyntaxError`
 * with the offset, which the caller turns into an error naming its file.
 */

export interface XmlElement {
  name: string
  attributes: Map<string, string>
  children: XmlElement[]
  /** The element's own text and CDATA, concatenated (text of child elements excluded). */
  text: string
}

export class XmlSyntaxError extends Error {
  constructor(
    readonly offset: number,
    problem: string
  ) {
    super(`${problem} at character ${offset}`)
    this.name = 'XmlSyntaxError'
  }
}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y
const SPACE = /\s*/y
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decodeEntities(text: string, offset: number): string {
  if (/&(?![^;&\s]{1,10};)/.test(text)) throw new XmlSyntaxError(offset, 'a bare "&" (write &amp;)')
  return text.replace(/&([^;&\s]{1,10});/g, (whole, entity: string) => {
    const named = NAMED_ENTITIES[entity]
    if (named !== undefined) return named
    const numeric = /^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/.exec(entity)
    if (numeric?.[1] !== undefined) {
      const code = numeric[1].startsWith('x') ? Number.parseInt(numeric[1].slice(1), 16) : Number.parseInt(numeric[1], 10)
      if (code > 0 && code <= 0x10ffff) return String.fromCodePoint(code)
    }
    throw new XmlSyntaxError(offset, `unknown entity ${whole}`)
  })
}

class Reader {
  position = 0
  constructor(private readonly text: string) {}

  fail(problem: string): never {
    throw new XmlSyntaxError(this.position, problem)
  }

  startsWith(token: string): boolean {
    return this.text.startsWith(token, this.position)
  }

  skipSpace(): void {
    SPACE.lastIndex = this.position
    SPACE.exec(this.text)
    this.position = SPACE.lastIndex
  }

  /** Moves past `end`, returning what came before it. */
  until(end: string, what: string): string {
    const at = this.text.indexOf(end, this.position)
    if (at < 0) this.fail(`${what} is not closed with "${end}"`)
    const content = this.text.slice(this.position, at)
    this.position = at + end.length
    return content
  }

  name(): string {
    NAME.lastIndex = this.position
    const match = NAME.exec(this.text)
    if (match === null) this.fail('expected a name')
    this.position = NAME.lastIndex
    return match[0]
  }

  /** Comments, processing instructions and whitespace between markup. */
  skipMisc(): void {
    for (;;) {
      this.skipSpace()
      if (this.startsWith('<!--')) this.until('-->', 'a comment')
      else if (this.startsWith('<?')) this.until('?>', 'a processing instruction')
      else if (this.startsWith('<!DOCTYPE') || this.startsWith('<!ENTITY')) this.fail('a DOCTYPE or ENTITY declaration is not accepted')
      else return
    }
  }

  element(depth: number): XmlElement {
    if (depth > 64) this.fail('elements nested more than 64 deep')
    if (!this.startsWith('<')) this.fail('expected "<"')
    this.position += 1
    const element: XmlElement = { name: this.name(), attributes: new Map(), children: [], text: '' }
    for (;;) {
      const before = this.position
      this.skipSpace()
      if (this.startsWith('/>')) {
        this.position += 2
        return element
      }
      if (this.startsWith('>')) {
        this.position += 1
        break
      }
      if (this.position === before) this.fail('expected whitespace, ">" or "/>"')
      const attribute = this.name()
      this.skipSpace()
      if (!this.startsWith('=')) this.fail(`attribute ${attribute} has no "="`)
      this.position += 1
      this.skipSpace()
      const quote = this.text[this.position]
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${attribute}'s value is not quoted`)
      this.position += 1
      const start = this.position
      const raw = this.until(quote, `attribute ${attribute}'s value`)
      if (raw.includes('<')) throw new XmlSyntaxError(start, `attribute ${attribute}'s value contains "<"`)
      if (element.attributes.has(attribute)) throw new XmlSyntaxError(start, `attribute ${attribute} appears twice`)
      element.attributes.set(attribute, decodeEntities(raw, start))
    }
    const text: string[] = []
    for (;;) {
      if (this.position >= this.text.length) this.fail(`<${element.name}> is not closed`)
      if (this.startsWith('</')) {
        this.position += 2
        const closing = this.name()
        if (closing !== element.name) this.fail(`</${closing}> closes <${element.name}>`)
        this.skipSpace()
        if (!this.startsWith('>')) this.fail(`expected ">" after </${closing}`)
        this.position += 1
        element.text = text.join('')
        return element
      }
      if (this.startsWith('<![CDATA[')) {
        this.position += 9
        text.push(this.until(']]>', 'a CDATA section'))
      } else if (this.startsWith('<!--')) this.until('-->', 'a comment')
      else if (this.startsWith('<?')) this.until('?>', 'a processing instruction')
      else if (this.startsWith('<!')) this.fail('a declaration inside an element')
      else if (this.startsWith('<')) element.children.push(this.element(depth + 1))
      else {
        const start = this.position
        const next = this.text.indexOf('<', this.position)
        this.position = next < 0 ? this.text.length : next
        text.push(decodeEntities(this.text.slice(start, this.position), start))
      }
    }
  }
}

/** The document's root element; anything but comments and whitespace after it is an error. */
export function parseXml(text: string): XmlElement {
  const reader = new Reader(text.replace(/^\uFEFF/, ''))
  reader.skipMisc()
  const root = reader.element(0)
  reader.skipMisc()
  if (reader.position < text.replace(/^\uFEFF/, '').length) reader.fail('content after the root element')
  return root
}

/** Depth-first, document order: the first element named `name` in the tree, or null. */
export function findElement(root: XmlElement, name: string): XmlElement | null {
  if (root.name === name) return root
  for (const child of root.children) {
    const found = findElement(child, name)
    if (found) return found
  }
  return null
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
