// A small JSON parser that keeps the line of every value and the exact text of every
// number, for seccomp profiles: an error names the profile's line, and a 64-bit
// argument value such as 18446744073709551615 is not rounded as JSON.parse would.

export type JValue =
  | { kind: 'object'; line: number; fields: Map<string, JValue> }
  | { kind: 'array'; line: number; items: JValue[] }
  | { kind: 'string'; line: number; value: string }
  | { kind: 'number'; line: number; raw: string }
  | { kind: 'bool'; line: number; value: boolean }
  | { kind: 'null'; line: number }

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message)
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }

export function parseJson(text: string): JValue {
  let pos = 0
  let line = 1
  const fail = (message: string): never => {
    throw new JsonSyntaxError(line, message)
  }
  const skip = () => {
    while (pos < text.length) {
      const c = text[pos]
      if (c === '\n') line++
      else if (c !== ' ' && c !== '\t' && c !== '\r') return
      pos++
    }
  }
  const expect = (c: string) => {
    skip()
    if (text[pos] !== c) fail(`expected '${c}' but found ${describe()}`)
    pos++
  }
  const describe = () => (pos >= text.length ? 'the end of the file' : `'${text[pos]}'`)

  const str = (): string => {
    pos++ // the opening quote
    let out = ''
    for (;;) {
      if (pos >= text.length) fail('a string is not closed')
      const c = text[pos++]!
      if (c === '"') return out
      if (c === '\n') fail('a string is not closed on its line')
      if (c !== '\\') {
        out += c
        continue
      }
      const e = text[pos++]
      if (e === 'u') {
        const hex = text.slice(pos, pos + 4)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(`bad \\u escape "\\u${hex}"`)
        out += String.fromCharCode(parseInt(hex, 16))
        pos += 4
      } else if (e !== undefined && ESCAPES[e] !== undefined) out += ESCAPES[e]
      else fail(`bad escape "\\${e ?? ''}"`)
    }
  }

  const value = (depth: number): JValue => {
    if (depth > 64) fail('nested too deeply')
    skip()
    const at = line
    const c = text[pos]
    if (c === '{') {
      pos++
      const fields = new Map<string, JValue>()
      skip()
      if (text[pos] === '}') {
        pos++
        return { kind: 'object', line: at, fields }
      }
      for (;;) {
        skip()
        if (text[pos] !== '"') fail(`expected a field name but found ${describe()}`)
        const keyLine = line
        const key = str()
        if (fields.has(key)) throw new JsonSyntaxError(keyLine, `the field "${key}" appears twice`)
        expect(':')
        fields.set(key, value(depth + 1))
        skip()
        if (text[pos] === ',') {
          pos++
          continue
        }
        if (text[pos] === '}') {
          pos++
          return { kind: 'object', line: at, fields }
        }
        fail(`expected ',' or '}' but found ${describe()}`)
      }
    }
    if (c === '[') {
      pos++
      const items: JValue[] = []
      skip()
      if (text[pos] === ']') {
        pos++
        return { kind: 'array', line: at, items }
      }
      for (;;) {
        items.push(value(depth + 1))
        skip()
        if (text[pos] === ',') {
          pos++
          continue
        }
        if (text[pos] === ']') {
          pos++
          return { kind: 'array', line: at, items }
        }
        fail(`expected ',' or ']' but found ${describe()}`)
      }
    }
    if (c === '"') return { kind: 'string', line: at, value: str() }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length
        return v === null ? { kind: 'null', line: at } : { kind: 'bool', line: at, value: v }
      }
    }
    NUMBER.lastIndex = pos
    const m = NUMBER.exec(text)
    if (m) {
      pos += m[0].length
      return { kind: 'number', line: at, raw: m[0] }
    }
    return fail(`expected a value but found ${describe()}`)
  }

  const root = value(0)
  skip()
  if (pos < text.length) fail(`unexpected ${describe()} after the end of the value`)
  return root
}
