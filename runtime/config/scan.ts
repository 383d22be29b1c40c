// The line scanner that runs next to the `ini` package.
//
// `ini.decode` gives values but no line numbers (it splits on /[\r\n]+/, so
// blank lines vanish), and it silently accepts things that change a config's
// meaning: a repeated key overwrites the earlier one, an unquoted ';' or '#'
// cuts the value short, a stray line becomes `key = true`. This scanner reads
// the same text line by line, records where every section and key is, and
// reports each of those cases as an error, so that what lite validates is
// what the user wrote.
//
// The rules (they mirror what ini v7 does, and reject where ini would guess):
// - Lines are split on \r\n, \n or \r; line numbers count from 1.
// - Blank lines and lines whose first non-blank character is ';' or '#' are
//   comments.
// - A section header is "[name]" alone on its line, starting in column 1;
//   the name is letters, digits, '-' and '_' (ini would nest "[a.b]" into
//   [a], and it treats an indented or commented header as a key).
// - A header may appear more than once: like ini, the sections are merged,
//   and a key repeated across the two parts is still a duplicate.
// - Every other line is "key = value" (or "key[] = value" for a list item)
//   inside a section. Keys are letters, digits, '_', '-' and '.'.
// - A section or key name is at most MAX_NAME_LENGTH characters: no real
//   name comes near it, and it bounds the "did you mean" work.
// - A non-list key may appear once per section; a key can't be written both
//   as "x" and as "x[]".
// - Values: see inlineComment() for ';' and '#'.

import { quote } from './show-text.ts'
import type { ConfigError } from './types.ts'

export interface ScannedSection {
  name: string
  line: number
}

export interface ScannedEntry {
  section: string
  /** the key without a trailing "[]" */
  key: string
  /** the key was written "key[]" */
  isList: boolean
  /** the value text after the first '=', trimmed, as written (comment included) */
  raw: string
  line: number
  /** the scanner reported an error on this line, so its value can't be trusted */
  hasError: boolean
}

export interface ScanResult {
  sections: ScannedSection[]
  entries: ScannedEntry[]
  errors: ConfigError[]
  /** malformed headers, with the section name they seem to mean ("[exec" → "exec") */
  badHeaders: ScannedSection[]
}

/** The longest section or key name; the longest lite knows is under 40. */
export const MAX_NAME_LENGTH = 128

const SECTION_NAME = /^[A-Za-z0-9_-]+$/
const KEY_NAME = /^[A-Za-z0-9_.-]+$/
/** what ini itself accepts as a section line */
const INI_SECTION = /^\[([^\]]*)\]\s*$/

/** Split the way ini does, keeping empty lines so that numbers stay right. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/)
}

/** ini's test for a value quoted as a whole: it then keeps ';' and '#' in it. */
export function isWholeQuoted(value: string): boolean {
  return (value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))
}

export type InlineComment =
  /** a comment that ini drops: the value is the text before `at`, trimmed */
  | { kind: 'comment'; at: number }
  /** ini would cut the value at `at`, where the user did not mean a comment */
  | { kind: 'cut'; at: number; char: ';' | '#' }
  /** a quoted value followed by a comment: ini keeps the quotes, or cuts inside them */
  | { kind: 'after-quoted'; at: number; char: ';' | '#'; inside: boolean }

/**
 * Where ini would end a (trimmed) value early, and whether that was meant.
 *
 * ini cuts an unquoted value at the first ';' or '#' not escaped by a
 * backslash; a value quoted as a whole ('...' or "...") is kept intact.
 * lite accepts the cut as an inline comment only when the character follows
 * whitespace (or starts the value) and is outside any quoted span, as in
 * `size = 32M   ; cap`. Anything else, such as `cmd = sh -c "a; b"` or
 * `url = http://x/#frag`, is a cut the user did not intend: an error.
 * A comment after a value that is otherwise quoted as a whole is an error
 * too, because ini then keeps the quote characters in the value.
 */
export function inlineComment(value: string): InlineComment | undefined {
  if (isWholeQuoted(value)) return undefined
  let quote: '"' | "'" | undefined
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!
    if (c === '\\') {
      i++ // ini: a backslash escapes the next character, whatever it is
      continue
    }
    if (c === ';' || c === '#') {
      const before = value.slice(0, i).trim()
      if (before.length > 0 && isWholeQuoted(before) && !quote) return { kind: 'after-quoted', at: i, char: c, inside: false }
      if (value[0] === '"' || value[0] === "'") {
        // `"a; b" ; note`: the cut falls inside a quoted value that has a comment after it
        const close = value.indexOf(value[0], 1)
        if (close > i && /^\s+[;#]/.test(value.slice(close + 1))) return { kind: 'after-quoted', at: i, char: c, inside: true }
      }
      if (!quote && (i === 0 || /\s/.test(value[i - 1]!))) return { kind: 'comment', at: i }
      return { kind: 'cut', at: i, char: c }
    }
    if (quote) {
      if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") {
      quote = c
    }
  }
  return undefined
}

/** Scan an ini text; `file` only labels the errors. */
export function scanIni(text: string, file: string): ScanResult {
  const sections: ScannedSection[] = []
  const entries: ScannedEntry[] = []
  const errors: ConfigError[] = []
  const badHeaders: ScannedSection[] = []
  const error = (line: number, message: string) => errors.push({ file, line, message })

  // null before the first header; after a malformed header the lines that
  // follow belong to no section we can name, and are skipped quietly (the
  // header's own error explains them)
  let section: string | null = null
  let skipping = false
  const seen = new Map<string, { line: number; isList: boolean }>()

  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1
    const line = lines[i]!
    if (/[\u2028\u2029]/.test(line)) {
      // ini's regexps don't match across these, so it would drop the line
      error(n, 'line contains a Unicode line separator (U+2028 or U+2029); remove it')
      continue
    }
    const text = line.trim()
    if (text === '' || text[0] === ';' || text[0] === '#') continue

    if (text[0] === '[') {
      const m = INI_SECTION.exec(line)
      const name = m ? m[1]!.trim() : ''
      const tooLong = name.length > MAX_NAME_LENGTH
      if (m && SECTION_NAME.test(name) && !tooLong) {
        section = name
        skipping = false
        sections.push({ name, line: n })
        continue
      }
      section = null
      skipping = true
      badHeaders.push({ name: /^\[\s*([A-Za-z0-9_-]*)/.exec(text)![1]!, line: n })
      if (m && name === '') error(n, 'empty section header "[]"')
      else if (m && tooLong) error(n, `section name ${quote(name)} is ${name.length} characters long; a name is at most ${MAX_NAME_LENGTH}`)
      else if (m) error(n, `malformed section header ${quote(text)}: a section name is letters, digits, '-' and '_'`)
      else if (INI_SECTION.test(text)) error(n, `section header ${quote(text)} must start in the first column`)
      else error(n, `malformed section header ${quote(text)}: write "[name]" alone on its line`)
      continue
    }

    const eq = line.indexOf('=')
    if (eq < 0) {
      error(n, `missing '=' in ${quote(text)}`)
      continue
    }
    const keyText = line.slice(0, eq).trim()
    if (keyText === '') {
      error(n, "missing key before '='")
      continue
    }
    const isList = keyText.length > 2 && keyText.endsWith('[]')
    const key = isList ? keyText.slice(0, -2) : keyText
    if (!KEY_NAME.test(key)) {
      error(n, `malformed key ${quote(keyText)}: a key is letters, digits, '_', '-' and '.', with "[]" right after it for a list item`)
      continue
    }
    if (key.length > MAX_NAME_LENGTH) {
      error(n, `key ${quote(key)} is ${key.length} characters long; a name is at most ${MAX_NAME_LENGTH}`)
      continue
    }
    if (section === null) {
      if (!skipping) error(n, `${quote(keyText)} is outside any section; put it under a [section] header`)
      continue
    }

    const raw = line.slice(eq + 1).trim()
    let hasError = false
    const cut = inlineComment(raw)
    if (cut?.kind === 'cut') {
      hasError = true
      error(n, `[${section}] ${key}: unquoted '${cut.char}' would cut the value here; quote the whole value ('...') or escape it as \\${cut.char}`)
    } else if (cut?.kind === 'after-quoted') {
      hasError = true
      const effect = cut.inside ? `cut the value at the '${cut.char}' inside the quotes` : 'keep the quotes in the value'
      error(n, `[${section}] ${key}: with a comment after a quoted value, ini would ${effect}; move the comment to its own line`)
    }

    const id = `${section}\u0000${key}`
    const first = seen.get(id)
    if (!first) {
      seen.set(id, { line: n, isList })
    } else if (first.isList !== isList) {
      hasError = true
      error(n, `key "${key}" in [${section}] is written both as "${key}" and as "${key}[]" (first at line ${first.line}); use one form`)
    } else if (!isList) {
      hasError = true
      error(n, `duplicate key "${key}" in [${section}] (first at line ${first.line}); write "${key}[] = ..." for lists`)
    }

    entries.push({ section, key, isList, raw, line: n, hasError })
  }
  return { sections, entries, errors, badHeaders }
}
