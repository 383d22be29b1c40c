// Text → raw config: the values come from `ini.decode`, the positions from
// the line scanner, and the two are joined per (section, key). Nothing here
// knows the schema; every value is still a string.
//
// How ini's values are turned back into the text the user meant:
// - ini turns the bare words true, false and null into JSON values: they
//   become the strings "true", "false", "null" again.
// - A value quoted as a whole with "..." is decoded as a JSON string by ini
//   (\" \\ \n \t \uXXXX work); that result is kept.
// - A value quoted as a whole with '...' is taken literally (the text between
//   the quotes). ini would JSON-decode it further ('123' → a number,
//   '"x"' → x), which lite does not want.
// - Unquoted: ini drops an inline comment and unescapes \; \# \\ (the scanner
//   has already refused a ';' or '#' that was not meant as a comment).
//
// The join is checked: each key must have as many values in ini's output as
// the scanner found lines, and each must equal what ini makes of that line on
// its own. When they disagree (a duplicate key, a malformed line that ini
// read differently), the key is marked unreadable: the scanner has already
// reported why, and the validator does not pile value errors on top.

import ini from 'ini'
import { FileReadError, readBoundedText } from './bounded-read.ts'
import { isWholeQuoted, scanIni, type ScannedEntry, type ScannedSection } from './scan.ts'
import type { ConfigError } from './types.ts'

export interface RawValue {
  value: string
  line: number
  /** the scanner reported an error on this line; don't validate the value */
  unreadable: boolean
}

export interface RawKey {
  section: string
  key: string
  /** written as "key[]" (on its first line) */
  isList: boolean
  /** in file order */
  values: RawValue[]
  /** the values can't be trusted at all (see above); the key still counts as set */
  unreadable: boolean
}

export interface RawConfig {
  /** the config path as given */
  file: string
  sections: ScannedSection[]
  /** malformed section headers, with the name they seem to mean */
  badHeaders: ScannedSection[]
  /** one per (section, key), in order of first appearance */
  keys: RawKey[]
  /** the scanner's errors, or the one read error */
  errors: ConfigError[]
  /** the file could not be read at all */
  unreadableFile?: boolean
}

/** ini's own reading of one value line, as text (see the header comment). */
function valueText(decoded: unknown, raw: string): string | undefined {
  if (raw.startsWith("'") && isWholeQuoted(raw)) return raw.slice(1, -1)
  if (typeof decoded === 'string') return decoded
  if (decoded === true || decoded === false || decoded === null) return String(decoded)
  return undefined
}

/** What ini.decode stores for one line's value text. */
function decodeAlone(raw: string): unknown {
  const text = ini.unsafe(raw)
  return text === 'true' || text === 'false' || text === 'null' ? JSON.parse(text) : text
}

function sectionObject(decoded: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const section = Object.hasOwn(decoded, name) ? decoded[name] : undefined
  return section && typeof section === 'object' && !Array.isArray(section)
    ? (section as Record<string, unknown>)
    : undefined
}

export function parseConfigText(text: string, file: string): RawConfig {
  text = text.replace(/^\uFEFF/, '') // a UTF-8 byte order mark would hide the first header from ini
  const scan = scanIni(text, file)
  const decoded = ini.decode(text) as Record<string, unknown>

  const groups = new Map<string, ScannedEntry[]>()
  for (const entry of scan.entries) {
    const id = `${entry.section}\u0000${entry.key}`
    const group = groups.get(id)
    if (group) group.push(entry)
    else groups.set(id, [entry])
  }

  const keys: RawKey[] = []
  for (const entries of groups.values()) {
    const { section, key, isList } = entries[0]!
    const sectionValues = sectionObject(decoded, section)
    const stored = sectionValues && Object.hasOwn(sectionValues, key) ? sectionValues[key] : undefined
    const items: unknown[] = stored === undefined ? [] : Array.isArray(stored) ? stored : [stored]

    let unreadable = items.length !== entries.length || entries.some(e => e.isList !== isList)
    if (!isList && entries.length > 1) unreadable = true // a duplicate: ini kept only the last one
    const values: RawValue[] = entries.map((entry, i) => {
      const value = valueText(items[i], entry.raw)
      if (value === undefined || value !== valueText(decodeAlone(entry.raw), entry.raw)) unreadable = true
      return { value: value ?? '', line: entry.line, unreadable: entry.hasError }
    })
    keys.push({ section, key, isList, values, unreadable })
  }
  return { file, sections: scan.sections, badHeaders: scan.badHeaders, keys, errors: scan.errors }
}

/** The largest config lite reads: real ones are a few KiB, and 20,000 env[] lines fit. */
export const CONFIG_FILE_LIMIT = 1024 * 1024

/**
 * Read and parse a config file; a file that can't be read (or is not a regular
 * file, or is larger than CONFIG_FILE_LIMIT) gives one error at line 0.
 */
export function readConfigFile(file: string): RawConfig {
  let text: string
  try {
    text = readBoundedText(file, CONFIG_FILE_LIMIT, 'a config file')
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err
    return {
      file,
      sections: [],
      badHeaders: [],
      keys: [],
      errors: [{ file, line: 0, message: err.message }],
      unreadableFile: true,
    }
  }
  return parseConfigText(text, file)
}
